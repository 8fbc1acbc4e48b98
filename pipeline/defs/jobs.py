"""The one job: every asset, over a range of shards (all of them unless the run's tags say otherwise)."""
import dagster as dg

refresh = dg.define_asset_job(
    "refresh",
    selection=dg.AssetSelection.all(),
    description="Stage, parse and validate the shards of the run's range, then publish the tables and warehouse.",
)
