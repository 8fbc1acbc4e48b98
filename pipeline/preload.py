"""Imported by the parse workers' fork server only (workers.PRELOAD): what every worker would otherwise build on its
first documents, built once before any is forked. pint's unit registry took 0.16-0.5 s of each worker's CPU (1-4 % of
the 2014 archive's parse, every run). Pure Python, no thread started (see workers.py)."""
from pipeline import thresholds

thresholds.unit_registry()
