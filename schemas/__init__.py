"""pandera schemas (polars backend) for every output table: one place that says what a valid row is.

The same schemas serve twice: per shard, where a document whose rows fail is quarantined with the
failures listed, and on the published tables, as the asset checks a user sees in the Dagster UI.
`columns(table)` gives the polars dtypes the pipeline builds its frames with, so the schema is the
single source of truth for the table layouts.
"""
from schemas.tables import KEYS, TABLES, columns, schema

__all__ = ["KEYS", "TABLES", "columns", "schema"]
