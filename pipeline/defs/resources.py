"""Settings the assets read, configured per deployment (tests point them at temporary folders)."""
from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipeline.staging import MAX_DOCUMENT_BYTES
from pipeline.storage import Layout


class PipelineSettings(dg.ConfigurableResource):
    """Where raw files are read and output written, and how much work runs at once."""

    raw_dir: str = "data/raw"
    out_dir: str = "data/processed"
    workers: int = 2
    max_document_bytes: int = MAX_DOCUMENT_BYTES
    publish_memory_limit: str = "2GB"  # DuckDB's limit while merging; beyond it, it spills to disk

    @property
    def raw_path(self) -> Path:
        return Path(self.raw_dir)

    @property
    def layout(self) -> Layout:
        return Layout(Path(self.out_dir))
