"""A daily full refresh, for changes the sensor cannot see (a reader improved, the schemas changed)."""
import dagster as dg

from pipeline.defs.jobs import refresh
from pipeline.defs.partitions import ALL_SHARDS_TAGS


@dg.schedule(job=refresh, cron_schedule="0 3 * * *", default_status=dg.DefaultScheduleStatus.RUNNING)
def daily_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return dg.RunRequest(tags=ALL_SHARDS_TAGS)
