"""Re-run what changed in data/raw: the sensor compares per-shard content fingerprints with its cursor.

The cursor holds one fingerprint per shard (a hash over the paths and sha256 of the shard's files),
so it stays small whatever the corpus size. A new, changed or deleted file changes its shard's
fingerprint; one run is requested for the range of changed shards, and that run also republishes
the tables, so a deleted file's rows disappear.
"""

import json

import dagster as dg

from pipeline.defs.jobs import refresh
from pipeline.defs.partitions import shard_range_tags
from pipeline.defs.resources import PipelineSettings
from pipeline.fingerprints import shard_fingerprints


@dg.sensor(job=refresh, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def raw_files_sensor(context: dg.SensorEvaluationContext, settings: PipelineSettings):
    """Request one run over the shards whose files were added, changed or deleted since the last tick."""
    current = shard_fingerprints(settings.raw_path, settings.layout.hash_cache)
    previous = json.loads(context.cursor) if context.cursor else {}
    changed = sorted(shard for shard, digest in current.items() if previous.get(shard) != digest)
    if not changed:
        return dg.SkipReason("no file in the raw folder was added, changed or deleted")
    run_key = "-".join(f"{shard}:{current[shard][:12]}" for shard in changed)
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=run_key, tags=shard_range_tags(changed[0], changed[-1]))],
        cursor=json.dumps(current, sort_keys=True),
    )
