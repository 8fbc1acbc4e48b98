"""Re-run when data/raw changes: the sensor compares the folder's content fingerprint with its cursor.

The cursor is one digest over the paths and sha256 of the raw files (hashes cached by size and mtime, so a tick
on an unchanged corpus only stats it). A new, changed or deleted file changes it; the run it requests works
out for itself what changed, so it parses and republishes only that.
"""
import dagster as dg

from pipeline.defs.jobs import refresh
from pipeline.defs.resources import PipelineSettings
from pipeline.fingerprints import folder_fingerprint


@dg.sensor(job=refresh, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def raw_files_sensor(context: dg.SensorEvaluationContext, settings: PipelineSettings):
    """Request one run when a file in the raw folder was added, changed or deleted since the last tick."""
    current = folder_fingerprint(settings.raw_path, settings.layout.hash_cache)
    if current == context.cursor:
        return dg.SkipReason("no file in the raw folder was added, changed or deleted")
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=current)], cursor=current)
