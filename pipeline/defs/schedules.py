"""A daily refresh, for changes the sensor cannot see (a file rewritten with its size and mtime kept)."""
import dagster as dg

from pipeline.defs.jobs import refresh


@dg.schedule(job=refresh, cron_schedule="0 3 * * *", default_status=dg.DefaultScheduleStatus.RUNNING)
def daily_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return dg.RunRequest()
