"""Documents are spread over a fixed number of shards by a hash of their path: the unit of (re)work.

A run processes a range of shards; a changed file re-runs only its shard; an archive touches all.
"""
import dagster as dg

from pipeline.storage import SHARDS

shards = dg.StaticPartitionsDefinition(list(SHARDS))

def shard_range_tags(first: str, last: str) -> dict[str, str]:
    """Run tags for one run over the shard range first..last (the assets take it in a single run)."""
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}


ALL_SHARDS_TAGS = shard_range_tags(SHARDS[0], SHARDS[-1])
