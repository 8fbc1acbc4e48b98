"""The Definitions of the project: composes the assets, checks, job, sensor, schedule and resources."""
import atexit
import gc

import dagster as dg

from pipeline.defs import assets, reports
from pipeline.defs.jobs import refresh
from pipeline.defs.resources import PipelineSettings
from pipeline.defs.schedules import daily_refresh
from pipeline.defs.sensors import raw_files_sensor

defs = dg.Definitions(
    assets=dg.load_assets_from_modules([assets, reports]),
    asset_checks=dg.load_asset_checks_from_modules([assets]),
    jobs=[refresh],
    sensors=[raw_files_sensor],
    schedules=[daily_refresh],
    # one process per run: small runs start fast, and the steps share the run's writer lock
    executor=dg.in_process_executor,
    resources={"settings": PipelineSettings(
        raw_dir=dg.EnvVar("TRIALS_RAW_DIR").get_value("data/raw"),
        out_dir=dg.EnvVar("TRIALS_OUT_DIR").get_value("data/processed"),
    )},
)

# What loading the definitions allocated (about 176,000 objects: Dagster, pandera, polars, DuckDB, the schemas) lives
# as long as the process each run gets: frozen, the garbage collector's full passes skip it (one took 0.16–0.23 s of
# every one-file run in the benchmark's process). Thawed at exit, for the interpreter's last collection.
gc.freeze()
atexit.register(gc.unfreeze)
