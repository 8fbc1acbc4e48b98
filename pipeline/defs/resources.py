"""Settings the assets read, configured per deployment (tests point them at temporary folders)."""
from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipeline.staging import StagingLimits
from pipeline.generations import Layout


class PipelineSettings(dg.ConfigurableResource):
    """Where raw files are read and output written, and how much work runs at once."""

    raw_dir: str = "data/raw"
    out_dir: str = "data/processed"
    workers: int = 2
    max_document_bytes: int = StagingLimits.max_document_bytes
    max_archive_bytes: int = StagingLimits.max_archive_bytes  # decompressed bytes per archive
    max_compression_ratio: int = StagingLimits.max_compression_ratio  # decompressed per compressed byte, per archive
    max_parse_seconds: float = StagingLimits.max_parse_seconds  # a document parsing longer is stopped, quarantined
    # DuckDB's limit while merging, beyond which it spills to disk; the job's process peaks 0.6–0.8 GiB above it
    # (600,000 trials: 2.01 GiB at 1.3 GB, 2.04–2.08 at 1.5 GB)
    publish_memory_limit: str = "1.3GB"

    @property
    def raw_path(self) -> Path:
        return Path(self.raw_dir)

    @property
    def staging_limits(self) -> StagingLimits:
        return StagingLimits(self.max_document_bytes, self.max_archive_bytes, self.max_compression_ratio,
                             self.max_parse_seconds)

    @property
    def layout(self) -> Layout:
        return Layout(Path(self.out_dir))
