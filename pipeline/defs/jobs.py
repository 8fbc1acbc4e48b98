"""The one job: every asset. Each run takes in what changed since the live output, whatever started it."""
import dagster as dg

refresh = dg.define_asset_job(
    "refresh",
    selection=dg.AssetSelection.all(),
    description="Stage the raw folder, parse what is new, publish the changed trials' tables and the warehouse.",
)
