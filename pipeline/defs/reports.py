"""The analysts' view: the landscape report (report/landscape.html and its charts), rebuilt after the warehouse."""
import base64

import dagster as dg

from pipeline.defs.resources import PipelineSettings
from pipeline.report import CHARTS, build_report, chart_path


@dg.asset(
    deps=["warehouse"],
    group_name="report",
    kinds={"html", "matplotlib"},
    description="report/landscape.html: trials by status and phase, enrollment, timeline and eligibility windows.",
)
def landscape_report(settings: PipelineSettings) -> dg.MaterializeResult:
    """Build the page and show each chart in the UI as Markdown with the PNG embedded."""
    layout = settings.layout
    metadata = {"path": dg.MetadataValue.path(str(build_report(layout.out_dir)))}
    for name in CHARTS:
        png = base64.b64encode(chart_path(layout.out_dir, name).read_bytes()).decode("ascii")
        metadata[name] = dg.MetadataValue.md(f"![{name}](data:image/png;base64,{png})")
    return dg.MaterializeResult(metadata=metadata)
