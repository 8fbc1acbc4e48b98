"""Re-run when data/raw changes: the sensor compares the folder's content fingerprint with its cursor.

The cursor is one digest over the paths and sha256 of the raw files (hashes cached by size and mtime, so a tick
on an unchanged corpus only stats it). A new, changed or deleted file changes it; the run it requests works
out for itself what changed, so it parses and republishes only that, taking the manifest the tick staged
(SENSED_TAG) rather than listing the folder again.
"""
import dagster as dg

from pipeline.defs.jobs import refresh
from pipeline.defs.resources import PipelineSettings
from pipeline.listing import file_hashes, folder_fingerprint, raw_files, stage_sensed

SENSED_TAG = "pipeline/sensed_listing"  # a run's tag: the fingerprint of the tick whose staged manifest it takes


@dg.sensor(job=refresh, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def raw_files_sensor(context: dg.SensorEvaluationContext, settings: PipelineSettings):
    """Request one run when a file in the raw folder was added, changed or deleted since the last tick.

    No run key: the cursor already requests one run per change, and a key per state of the folder would make
    Dagster skip the run when the folder returns to an earlier state (a file edited, then the edit undone)."""
    listing = raw_files(settings.raw_path)
    hashes = file_hashes(listing, settings.layout.hash_cache)
    current = folder_fingerprint(listing, hashes)
    if current == context.cursor:
        return dg.SkipReason("no file in the raw folder was added, changed or deleted")
    stage_sensed(listing, hashes, settings.max_document_bytes, settings.layout, current)
    return dg.SensorResult(run_requests=[dg.RunRequest(tags={SENSED_TAG: current})], cursor=current)
