"""Dagster definitions by role: resources, partitions, assets (with their checks), jobs, sensors, schedules."""
