"""The analysts' view: the landscape report (report/landscape.html and its charts), rebuilt after the warehouse."""
import base64

import dagster as dg

from pipeline.defs.resources import PipelineSettings
from pipeline.generations import code_versions
from pipeline.report import CHARTS, HTML_NAME, REPORT_DIR, build_report, chart_path
from pipeline.storage import atomic_path

BUILT_FROM = ".built_from"  # beside the report: the generation (and folder) it was drawn from


@dg.asset(
    deps=["warehouse"],
    group_name="report",
    kinds={"html", "matplotlib"},
    code_version=code_versions().code,
    description="report/landscape.html: trials by status and phase, enrollment, timeline and eligibility windows.",
)
def landscape_report(settings: PipelineSettings) -> dg.MaterializeResult:
    """Build the page and show each chart in the UI as Markdown with the PNG embedded.

    Drawing takes seconds; a run that published nothing new keeps the page drawn from the same generation.
    """
    out_dir = settings.layout.out_dir
    live = settings.layout.current()
    source = f"{live}\n{live.stat().st_ctime_ns}\n" if live else ""
    stamp = out_dir / REPORT_DIR / BUILT_FROM
    html = out_dir / REPORT_DIR / HTML_NAME
    current = bool(source) and html.exists() and stamp.exists() and stamp.read_text() == source
    if not current:
        html = build_report(out_dir)
        with atomic_path(stamp) as tmp:
            tmp.write_text(source)
    metadata = {"path": dg.MetadataValue.path(str(html)), "redrawn": not current}
    for name in CHARTS:
        png = base64.b64encode(chart_path(out_dir, name).read_bytes()).decode("ascii")
        metadata[name] = dg.MetadataValue.md(f"![{name}](data:image/png;base64,{png})")
    return dg.MaterializeResult(metadata=metadata)
