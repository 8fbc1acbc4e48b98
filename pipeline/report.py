"""The landscape report: the first page an analyst opens — the warehouse at a glance, in one HTML file.

Every figure is aggregated in DuckDB (600,000 trials cost a few GROUP BYs, never a DataFrame of
everything), drawn with matplotlib's Agg renderer (no display, no browser), written as PNG beside
the page and embedded in it as base64 data URIs, so `report/landscape.html` opens anywhere, offline,
with nothing fetched. Each file is written whole (temporary name, then rename).
"""
from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipeline.storage import atomic_path
from pipeline.vocabulary import PHASE_ORDER
from pipeline.warehouse import open_read_only

if TYPE_CHECKING:
    from matplotlib.figure import Figure

REPORT_DIR = "report"
HTML_NAME = "landscape.html"
NOT_STATED = "not stated"
MAX_WINDOW_TRIALS = 40
DPI = 110
LOG_BINS_PER_DECADE = 4
# Panels of the eligibility-window chart: eligibility_thresholds.variable → panel title.
WINDOW_VARIABLES = {"age": "Age", "bmi": "BMI", "hba1c": "HbA1c", "c_peptide": "C-peptide"}
AGE_UNIT = "years"  # of trials.minimum_age_years / maximum_age_years, the fallback for age


@dataclass(frozen=True)
class Chart:
    """One figure of the report: its heading, PNG bytes and caption."""

    title: str
    png: bytes
    caption: str

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def _figure(**options) -> Figure:
    """A matplotlib figure, imported here: matplotlib costs a second of start-up, and every run imports this module
    (the job's definitions) while only the report step draws."""
    from matplotlib.figure import Figure

    return Figure(layout="constrained", **options)


def _png(fig: Figure) -> bytes:
    """The figure as PNG, laid out once: the constrained layout already fits it, and `bbox_inches="tight"` would
    draw every figure a second time to measure it (the report of 100,000 trials: 5.4–5.6 → 4.9–5.1 s)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _no_data(ax, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="grey")
    ax.set_xticks([])
    ax.set_yticks([])


def _palette(n: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def _phase_order(label: str) -> tuple:
    """NA < EARLY_PHASE1 < PHASE1 < PHASE1/PHASE2 < PHASE2 …, 'not stated' last."""
    if label == NOT_STATED:
        return (len(PHASE_ORDER),)
    return tuple(PHASE_ORDER.index(p) for p in label.split("/"))


def status_phase_chart(con: duckdb.DuckDBPyConnection) -> Chart:
    """Horizontal bars per overall_status, stacked by phase (a combined phase is its own segment)."""
    title = "Trials by status and phase"
    rows = con.execute(f"""
        select coalesce(overall_status, '{NOT_STATED}'),
               coalesce(nullif(array_to_string(phases, '/'), ''), '{NOT_STATED}'), count(*)
        from trials group by all""").fetchall()
    counts = {(status, phase): n for status, phase, n in rows}
    totals: dict[str, int] = {}
    for (status, _), n in counts.items():
        totals[status] = totals.get(status, 0) + n
    statuses = sorted(totals, key=lambda s: (totals[s], s))  # barh draws upwards: largest on top
    phases = sorted({phase for _, phase in counts}, key=_phase_order)
    fig = _figure(figsize=(9, 1.6 + 0.4 * max(len(statuses), 2)))
    ax = fig.subplots()
    ax.set_title(title)
    if not rows:
        _no_data(ax, "no trials in the warehouse")
        return Chart(title, _png(fig), "The warehouse holds no trials.")
    left = [0] * len(statuses)
    for phase, colour in zip(phases, _palette(len(phases))):
        widths = [counts.get((status, phase), 0) for status in statuses]
        ax.barh(statuses, widths, left=left, label=phase, color=colour)
        left = [a + b for a, b in zip(left, widths)]
    for y, total in enumerate(left):
        ax.annotate(f"{total:,}", (total, y), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_xlabel("trials")
    ax.margins(x=0.08)
    ax.legend(title="phase", fontsize=8, title_fontsize=8, loc="lower right")
    caption = (f"{sum(totals.values()):,} trials by overall status, each bar split by phase; a trial "
               f"listing two phases is counted once, under the pair (e.g. PHASE1/PHASE2).")
    return Chart(title, _png(fig), caption)


def enrollment_chart(con: duckdb.DuckDBPyConnection) -> Chart:
    """Histogram of enrollment on a log axis (quarter-decade bins), stacked by enrollment_type."""
    title = "Enrollment distribution"
    bins = con.execute(f"""
        select coalesce(enrollment_type, '{NOT_STATED}'), floor(log10(enrollment) * {LOG_BINS_PER_DECADE})::int,
               count(*)
        from trials where enrollment > 0 group by all order by all""").fetchall()
    stated, zero, median = con.execute(
        "select count(enrollment), count(*) filter (where enrollment = 0), median(enrollment) from trials"
    ).fetchone()
    fig = _figure(figsize=(9, 4))
    ax = fig.subplots()
    ax.set_title(title)
    if not bins:
        _no_data(ax, "no trial states an enrollment above 0")
    else:
        types = sorted({t for t, _, _ in bins}, key=lambda t: (t == NOT_STATED, t))
        edges = {b: (10 ** (b / LOG_BINS_PER_DECADE), 10 ** ((b + 1) / LOG_BINS_PER_DECADE)) for _, b, _ in bins}
        bottom = dict.fromkeys(edges, 0)
        for enrollment_type, colour in zip(types, _palette(len(types))):
            heights = {b: n for t, b, n in bins if t == enrollment_type}
            xs = sorted(heights)
            ax.bar([edges[b][0] for b in xs], [heights[b] for b in xs], width=[edges[b][1] - edges[b][0] for b in xs],
                   bottom=[bottom[b] for b in xs], align="edge", label=enrollment_type, color=colour, edgecolor="white")
            for b in xs:
                bottom[b] += heights[b]
        ax.set_xscale("log")
        ax.set_xlabel("enrollment (participants, log scale)")
        ax.set_ylabel("trials")
        ax.axvline(median, color="black", linestyle="--", linewidth=1, label=f"median {median:,.0f}")
        ax.legend(fontsize=8)
    caption = (f"{stated:,} trials state an enrollment" + (f" (median {median:,.0f} participants)" if stated else "")
               + f"; trials with an enrollment of 0 ({zero:,}) are left off the log axis.")
    return Chart(title, _png(fig), caption)


def timeline_chart(con: duckdb.DuckDBPyConnection) -> Chart:
    """Trials starting and completing per calendar year (completion dates may be anticipated ones)."""
    title = "Trial starts and completions by year"
    series = {
        label: con.execute(f"select year({column}), count(*) from trials where {column} is not null "
                           "group by 1 order by 1").fetchall()
        for label, column in (("start_date", "start_date"), ("completion_date", "completion_date"))
    }
    fig = _figure(figsize=(9, 4))
    ax = fig.subplots()
    ax.set_title(title)
    if not any(series.values()):
        _no_data(ax, "no trial states a start or completion date")
    else:
        for (label, rows), marker in zip(series.items(), ("o", "s")):
            if rows:
                ax.plot([y for y, _ in rows], [n for _, n in rows], marker=marker, markersize=3, label=label)
        ax.set_xlabel("year")
        ax.set_ylabel("trials")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    starts, completions = (sum(n for _, n in rows) for rows in series.values())
    caption = (f"Trials per year of start_date ({starts:,} trials state one) and of completion_date "
               f"({completions:,}); completion dates of ongoing trials are the registry's anticipated ones.")
    return Chart(title, _png(fig), caption)


def _views(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {name for (name,) in con.execute("select table_name from information_schema.tables").fetchall()}


def window_rows(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """SQL of the rows (trial_id, variable, lo, hi, unit), one per trial and variable, and where they come from.

    From eligibility_thresholds when the warehouse has it: per trial, variable and sex the criteria
    are intersected (the highest lower bound, the lowest upper bound), and windows for different
    sexes are joined (either sex may enrol). Age falls back to the registry's minimum/maximum age
    for trials without an age threshold, and is all there is without the table.
    """
    registry_age = f"""
        select trial_id, 'age' as variable, minimum_age_years as lo, maximum_age_years as hi, '{AGE_UNIT}' as unit
        from trials where minimum_age_years is not null or maximum_age_years is not null"""
    if "eligibility_thresholds" not in _views(con):
        return registry_age, "the registry's minimum and maximum age (eligibility_thresholds is not in the warehouse)"
    variables = ", ".join(f"'{v}'" for v in WINDOW_VARIABLES)
    sql = f"""
        with by_sex as (
          select trial_id, variable, coalesce(sex, 'ALL') as sex, max(eligible_lower_canonical) as lo,
                 min(eligible_upper_canonical) as hi, any_value(canonical_unit) as unit
          from eligibility_thresholds
          where variable in ({variables})
            and (eligible_lower_canonical is not null or eligible_upper_canonical is not null)
          group by all),
        thresholds as (
          select trial_id, variable, if(bool_or(lo is null), null, min(lo)) as lo,
                 if(bool_or(hi is null), null, max(hi)) as hi, any_value(unit) as unit
          from by_sex group by all)
        select * from thresholds
        union all
        select * from ({registry_age}) where trial_id not in (select trial_id from thresholds where variable = 'age')"""
    return sql, ("eligibility_thresholds (each trial's criteria intersected; age from the registry's minimum "
                 "and maximum age where no criterion states it)")


def eligibility_window_chart(con: duckdb.DuckDBPyConnection, limit: int = MAX_WINDOW_TRIALS) -> Chart:
    """Trial by trial, the allowed range of age, BMI, HbA1c and C-peptide: one panel per variable.

    At most `limit` trials: those stating a window for the most variables, ties broken by md5 of
    trial_id (a fixed, spread-out pick that does not change between runs), shown in trial_id order.
    """
    title = "Eligibility windows: age, BMI, HbA1c and C-peptide"
    windows_sql, origin = window_rows(con)
    con.execute(f"create or replace temp table report_windows as {windows_sql}")
    candidates = con.execute("select count(distinct trial_id) from report_windows").fetchone()[0]
    trial_ids = [t for (t,) in con.execute(f"""
        select trial_id from (select trial_id from report_windows group by trial_id
                              order by count(distinct variable) desc, md5(trial_id) limit {int(limit)})
        order by trial_id""").fetchall()]
    rows = con.execute("select trial_id, variable, lo::double, hi::double, unit from report_windows "
                       "where trial_id in (select unnest(?::varchar[]))", [trial_ids]).fetchall()
    con.execute("drop table report_windows")
    fig = _figure(figsize=(12, 1.6 + 0.24 * max(len(trial_ids), 4)))
    axes = fig.subplots(1, len(WINDOW_VARIABLES))
    fig.suptitle(title)
    row_of = {trial_id: i for i, trial_id in enumerate(reversed(trial_ids))}  # first trial at the top
    for ax, (variable, label) in zip(axes, WINDOW_VARIABLES.items()):
        _window_panel(ax, label, [(t, lo, hi, unit) for t, v, lo, hi, unit in rows if v == variable], row_of)
    # the panels share rows, but only the first has ticks: each tick of a shared axis is an artist of every panel,
    # laid out and drawn four times (a quarter of the chart's time)
    for ax in axes:
        ax.set_ylim(-0.7, max(len(row_of), 1) - 0.3)
        ax.set_yticks([])
        ax.hlines(range(len(row_of)), 0, 1, transform=ax.get_yaxis_transform(), color="#b0b0b0", alpha=0.25,
                  linewidth=0.8, zorder=1.5)  # the rows' grid, as a grid is drawn: over the bars, under the arrows
    axes[0].set_yticks(range(len(row_of)), list(row_of), fontsize=7)
    shown = ", ".join(trial_ids) if trial_ids else "none"
    caption = (f"{len(trial_ids)} of {candidates:,} trials with a stated window, from {origin}. Picked: the trials "
               f"stating the most of the four variables, ties broken by md5(trial_id), so the pick is the same "
               f"on every run. A bar that ends in an arrow at the edge of its panel has no bound on that side. "
               f"Trials shown: {shown}.")
    return Chart(title, _png(fig), caption)


def _window_panel(ax, label: str, windows: list[tuple], row_of: dict[str, int]) -> None:
    """One variable: a horizontal bar per trial from its lower to its upper bound; open ends run to an arrow."""
    units = sorted({unit for *_, unit in windows if unit})
    ax.set_title(label + (f" ({', '.join(units)})" if units else ""), fontsize=10)
    bounds = [b for _, lo, hi, _ in windows for b in (lo, hi) if b is not None]
    if not bounds:
        ax.text(0.5, 0.5, "not stated", ha="center", va="center", transform=ax.transAxes, color="grey")
        ax.set_xticks([])
        return
    low, high = min(bounds), max(bounds)
    pad = max(high - low, abs(high), 1.0) * 0.08
    left_edge, right_edge = (max(low - pad, 0) if low >= 0 else low - pad), high + pad  # no negative ages
    ax.set_xlim(left_edge, right_edge)
    for trial_id, lo, hi, _ in windows:
        y = row_of[trial_id]
        start, end = (left_edge if lo is None else lo), (right_edge if hi is None else hi)
        ax.barh(y, end - start, left=start, height=0.55, color="tab:blue", alpha=0.8,
                edgecolor="tab:blue", linewidth=0.8)  # the edge keeps a very narrow window visible
        for open_end, x, marker in ((lo is None, left_edge, "<"), (hi is None, right_edge, ">")):
            if open_end:
                ax.plot(x, y, marker=marker, color="tab:blue", markersize=6, clip_on=False)


DELAY_BIN_MONTHS = 6
REPORTING_DEADLINE_MONTHS = 12  # FDAAA 801: results of an applicable trial within a year of primary completion
QUESTION_CONDITION = "%diabet%"  # the seeds' question: diabetes trials
MAX_OUTCOME_ROWS = 60


def _columns(con: duckdb.DuckDBPyConnection, view: str) -> set[str]:
    return {name for (name,) in con.execute(f"select name from pragma_table_info('{view}')").fetchall()}


def reporting_delay_chart(con: duckdb.DuckDBPyConnection) -> Chart:
    """How many trials posted results, and how long after primary completion (trials.months_to_report_results)."""
    title = "Results reporting: months from primary completion to results posted"
    fig = _figure(figsize=(9, 4))
    ax = fig.subplots()
    ax.set_title(title)
    if "months_to_report_results" not in _columns(con, "trials"):
        _no_data(ax, "the warehouse has no results columns")
        return Chart(title, _png(fig), "The warehouse predates results (no trials.months_to_report_results).")
    trials, with_results, stated, median, q1, q3, within = con.execute(f"""
        select count(*), count(*) filter (where has_results), count(months_to_report_results),
               median(months_to_report_results), quantile_cont(months_to_report_results, 0.25),
               quantile_cont(months_to_report_results, 0.75),
               count(*) filter (where months_to_report_results <= {REPORTING_DEADLINE_MONTHS})
        from trials""").fetchone()
    bins = con.execute(f"""
        select floor(months_to_report_results / {DELAY_BIN_MONTHS})::int, count(*) from trials
        where months_to_report_results is not null group by 1 order by 1""").fetchall()
    if not bins:
        _no_data(ax, "no trial states both its primary completion and results posting dates")
        caption = f"{with_results:,} of {trials:,} trials have posted results; none states both dates."
        return Chart(title, _png(fig), caption)
    ax.bar([b * DELAY_BIN_MONTHS for b, _ in bins], [n for _, n in bins], width=DELAY_BIN_MONTHS, align="edge",
           color="tab:blue", edgecolor="white")
    ax.axvline(REPORTING_DEADLINE_MONTHS, color="tab:red", linestyle=":", linewidth=1,
               label=f"{REPORTING_DEADLINE_MONTHS} months (FDAAA deadline)")
    ax.axvline(median, color="black", linestyle="--", linewidth=1, label=f"median {median:.1f} months")
    ax.set_xlabel(f"months from primary completion to results first posted ({DELAY_BIN_MONTHS}-month bins)")
    ax.set_ylabel("trials")
    ax.legend(fontsize=8)
    caption = (f"{with_results:,} of {trials:,} trials ({with_results / trials:.1%}) have posted results; {stated:,} "
               f"state both dates: median {median:.1f} months (quartiles {q1:.1f}–{q3:.1f}), {within:,} "
               f"({within / stated:.1%}) within {REPORTING_DEADLINE_MONTHS} months. Month-only dates count as the "
               "1st of the month.")
    return Chart(title, _png(fig), caption)


@dataclass(frozen=True)
class Table:
    """A table of the report: heading, column names, rows (text), caption."""

    title: str
    columns: tuple[str, ...]
    rows: list[tuple]
    caption: str


def primary_outcomes_table(con: duckdb.DuckDBPyConnection, condition: str = QUESTION_CONDITION,
                           limit: int = MAX_OUTCOME_ROWS) -> Table:
    """The seeds' question: for diabetes trials with results, each primary outcome's values per group (with the
    numbers analyzed) and its analyses (estimate, confidence interval, p-value)."""
    title = "Diabetes trials: primary outcomes and their estimates"
    columns = ("trial", "primary outcome", "values per group (n analyzed)", "analyses: estimate (CI), p")
    if "outcome_measurements" not in _views(con):
        return Table(title, columns, [], "The warehouse predates results (no outcome_measurements).")
    trials, with_results = con.execute("""
        select count(*), count(*) filter (where t.has_results) from trials t
        where exists (select 1 from conditions c where c.trial_id = t.trial_id and c.condition ilike ?)""",
                                       [condition]).fetchone()
    rows = con.execute("""
        with question as (select distinct trial_id from conditions where condition ilike ?),
        cells as (
          select m.trial_id, m.outcome_ordinal, any_value(m.title) as title, any_value(m.time_frame) as time_frame,
                 any_value(m.units) as units, any_value(m.param_type) as param_type,
                 string_agg(concat_ws(' ', nullif(concat_ws(', ', m.class_title, m.category), ''),
                                      coalesce(g.title, m.group_code) || ':', m.value_raw,
                                      '(' || m.analyzed || ')'), '; '
                            order by m.class_title nulls first, m.category nulls first, m.group_code) as values
          from outcome_measurements m join question using (trial_id)
          left join result_groups g on g.trial_id = m.trial_id and g.result_type = 'OUTCOME'
               and g.outcome_ordinal = m.outcome_ordinal and g.group_code = m.group_code
          where m.outcome_type = 'PRIMARY' group by m.trial_id, m.outcome_ordinal),
        analyses as (
          select trial_id, outcome_ordinal,
                 string_agg(concat_ws(', ', nullif(concat_ws(' ', param_type, param_value_raw,
                                      '(' || regexp_replace(ci_percent::varchar, '[.]0$', '') || '% CI ' || ci_lower_raw
                                      || ' to ' || ci_upper_raw || ')'), ''), 'p ' || p_value_raw),
                            '; ' order by analysis_ordinal) as analyses
          from outcome_analyses join question using (trial_id) where outcome_type = 'PRIMARY' group by all)
        select c.trial_id, concat_ws(' — ', c.title, c.time_frame) || coalesce(' [' || c.param_type || ', ' || c.units || ']', ''),
               c.values, coalesce(a.analyses, '')
        from cells c left join analyses a using (trial_id, outcome_ordinal)
        order by c.trial_id, c.outcome_ordinal""", [condition]).fetchall()
    caption = (f"{trials:,} trials name a condition matching '{condition}'; {with_results:,} have posted results. "
               f"{len(rows):,} primary outcomes with values" + (f", the first {limit} shown" if len(rows) > limit else "")
               + ". Values as written (NA kept), per group with the number analyzed; analyses as the registry "
               "states them (estimate type, value, confidence interval, p-value).")
    return Table(title, columns, rows[:limit], caption)


def key_figures(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    trials, earliest, latest = con.execute("select count(*), min(start_date), max(start_date) from trials").fetchone()
    parsed, quarantined = con.execute(
        "select count(*) filter (where status = 'parsed'), count(*) filter (where status = 'quarantined') "
        "from documents").fetchone()
    return {"trials": f"{trials:,}", "documents parsed": f"{parsed:,}", "documents quarantined": f"{quarantined:,}",
            "start dates": f"{earliest} – {latest}" if earliest else NOT_STATED}


FLOW_COLUMNS = ("registry", "records", "registrations", "studies")


def registry_flow(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """The flow of registry records a PRISMA diagram takes, per registry and in total: parsed records (an
    export or a page of a registration counts once each) → registrations (trial ids) → unique studies once
    registrations of one study in several registries are merged, each counted under its primary registration."""
    return con.execute("""
        select coalesce(t.registry, 'total'), count(d.doc_id), count(distinct t.trial_id),
               count(distinct t.trial_id) filter (where c.is_primary)
        from trials t join trial_clusters c using (trial_id)
          left join documents d on d.trial_id = t.trial_id and d.status = 'parsed'
        group by rollup (t.registry) order by t.registry is null, count(distinct t.trial_id) desc, t.registry
    """).fetchall()


MAX_SWITCHED_TRIALS = 20
MAX_SHORTFALLS = 10
HISTORY_COLUMNS = ("versions", "enrollment_planned", "primary_outcomes_changed")


def _has_history(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the warehouse has the version history (trial_changes, trial_versions, the trials columns)."""
    trial_columns = {name for (name,) in con.execute(
        "select column_name from information_schema.columns where table_name = 'trials'").fetchall()}
    return {"trial_changes", "trial_versions"} <= _views(con) and set(HISTORY_COLUMNS) <= trial_columns


def _table(header: tuple[str, ...], rows) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "\n".join("<tr>" + "".join(f"<td>{esc('' if v is None else str(v))}</td>" for v in row) + "</tr>"
                     for row in rows)
    return f"<table><tr>{head}</tr>\n{body}</table>"


def changes_section(con: duckdb.DuckDBPyConnection) -> str:
    """How registrations changed between their versions: switched primary outcomes (old and new measures),
    enrollment planned against actual, and the status timeline of the trial whose status changed most."""
    if not _has_history(con):
        return "<p>No version history in this warehouse (trial_changes, trial_versions are missing).</p>"
    trials, with_versions, switched = con.execute(
        "select count(*), count(*) filter (where versions > 1), count(*) filter (where primary_outcomes_changed) "
        "from trials").fetchone()
    switches = con.execute(f"""
        select c.trial_id,
               array_to_string(list(distinct c.old_value order by c.old_value) filter (where c.old_value is not null), ' | '),
               array_to_string(list(distinct c.new_value order by c.new_value) filter (where c.new_value is not null), ' | '),
               min(c.from_date), max(c.to_date)
        from trial_changes c join trials t using (trial_id)
        where t.primary_outcomes_changed and c.field = 'primary_outcome' and c.change <> 'CHANGED'
        group by c.trial_id order by c.trial_id limit {MAX_SWITCHED_TRIALS}""").fetchall()
    both, fewer, more, median_ratio = con.execute("""
        select count(*), count(*) filter (where enrollment < enrollment_planned),
               count(*) filter (where enrollment > enrollment_planned),
               median(enrollment / enrollment_planned) filter (where enrollment_planned > 0)
        from trials where enrollment_type = 'ACTUAL' and enrollment_planned is not null""").fetchone()
    shortfalls = con.execute(f"""
        select trial_id, enrollment_planned, enrollment, overall_status from trials
        where enrollment_type = 'ACTUAL' and enrollment < enrollment_planned
        order by enrollment_planned - enrollment desc, trial_id limit {MAX_SHORTFALLS}""").fetchall()
    timeline_trial = con.execute("""
        select trial_id from trial_changes where field = 'overall_status'
        group by trial_id order by count(*) desc, trial_id limit 1""").fetchone()
    timeline = con.execute("""
        select from_date, old_value from trial_changes where trial_id = ? and field = 'overall_status'
        qualify from_date = min(from_date) over ()
        union all
        select to_date, new_value from trial_changes where trial_id = ? and field = 'overall_status'
        order by 1""", [timeline_trial[0]] * 2).fetchall() if timeline_trial else []
    ratio = f"{median_ratio:.2f}" if median_ratio is not None else NOT_STATED
    parts = [
        f"<p>{trials:,} trials, {with_versions:,} with more than one version; primary outcomes switched between "
        f"the first and the latest version in {switched:,}.</p>",
        f"<h3>Switched primary outcomes</h3>{_table(('trial', 'measures removed', 'measures added', 'from', 'to'), switches)}",
        f"<h3>Enrollment planned and actual</h3><p>{both:,} trials state an actual enrollment and an earlier "
        f"estimated one: {fewer:,} enrolled fewer than planned, {more:,} more; median actual/planned {ratio}.</p>"
        + _table(("trial", "planned", "actual", "status"), shortfalls),
    ]
    if timeline:
        parts.append(f"<h3>Status timeline of {html.escape(timeline_trial[0])}</h3>"
                     + _table(("version date", "overall_status"), timeline))
    return "\n".join(parts)


# File stem (report/<name>.png, the page's section id) → the function drawing it, in page order.
CHARTS = {"status_phase": status_phase_chart, "enrollment": enrollment_chart, "timeline": timeline_chart,
          "eligibility_windows": eligibility_window_chart, "reporting_delay": reporting_delay_chart}
def registry_flow_table(con: duckdb.DuckDBPyConnection) -> Table:
    return Table("Flow of registry records", FLOW_COLUMNS, registry_flow(con),
                 "For a PRISMA diagram: records identified from registers → registrations once the records of one "
                 "registration are merged → unique studies once the registrations of one study (linked by the ids "
                 "the records state) are merged, each study counted under its primary registration "
                 "(ClinicalTrials.gov, then EU CTR, then ISRCTN, then the earliest registered).")


# The page's section id → the function building the table, after the charts.
TABLES = {"registry_flow": registry_flow_table, "primary_outcomes": primary_outcomes_table}
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; padding: 0 1rem; }
table { border-collapse: collapse; } td, th { padding: .25rem .8rem; border-bottom: 1px solid #ddd; text-align: left; }
figure { margin: 1rem 0 2.5rem; } img { max-width: 100%; } figcaption, .caption { color: #555; font-size: .9rem; }
table.data td { font-size: .85rem; vertical-align: top; }
"""


def _table_html(name: str, table: Table) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in table.columns)
    body = "\n".join("<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in row) + "</tr>" for row in table.rows)
    return (f'<section id="{name}"><h2>{esc(table.title)}</h2><table class="data"><tr>{head}</tr>\n{body}</table>'
            f"<p class=\"caption\">{esc(table.caption)}</p></section>")


def render_html(figures: dict[str, str], charts: dict[str, Chart], source: str,
                tables: dict[str, Table] | None = None, changes: str = "") -> str:
    esc = html.escape
    rows = "\n".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in figures.items())
    sections = "\n".join(
        f'<section id="{name}"><h2>{esc(c.title)}</h2><figure><img alt="{esc(c.title)}" src="{c.data_uri}">'
        f"<figcaption>{esc(c.caption)}</figcaption></figure></section>"
        for name, c in charts.items()
    ) + "".join("\n" + _table_html(name, t) for name, t in (tables or {}).items())
    built = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Trial landscape</title><style>{STYLE}</style></head>
<body>
<h1>Trial landscape</h1>
<p>Built {esc(built)} from {esc(source)}.</p>
<table>{rows}</table>
{sections}
<section id="changes"><h2>How registrations changed</h2>
{changes}
</section>
</body>
</html>
"""


def chart_path(out_dir: Path, name: str) -> Path:
    return out_dir / REPORT_DIR / f"{name}.png"


def build_report(out_dir: Path) -> Path:
    """Write out_dir/report/landscape.html and one PNG per chart from the output's tables; returns the HTML path."""
    con = open_read_only(out_dir)
    try:
        charts = {name: draw(con) for name, draw in CHARTS.items()}
        tables = {name: build(con) for name, build in TABLES.items()}
        figures = key_figures(con)
        changes = changes_section(con)
    finally:
        con.close()
    for name, chart in charts.items():
        with atomic_path(chart_path(out_dir, name)) as tmp:
            tmp.write_bytes(chart.png)
    target = out_dir / REPORT_DIR / HTML_NAME
    with atomic_path(target) as tmp:
        tmp.write_text(render_html(figures, charts, str(out_dir / "warehouse.duckdb"), tables, changes),
                       encoding="utf-8")
    return target
