"""One pandera schema per table of ../shared/CONTRACT.md, plus the pipeline's own additions.

Vocabulary checks use the value sets of pipeline.vocabulary (the same tables the readers map into),
id patterns and ranges are the contract's, and KEYS names each table's unique key (per document in
the shard stage, per trial once published).
"""
from __future__ import annotations

from datetime import date
from functools import cache

import pandera.polars as pa
import polars as pl

from pipeline import thresholds as th
from pipeline import vocabulary as v

TRIAL_ID = (r"^(NCT\d{8}|\d{4}-5\d{5}-\d{2}-\d{2}|ChiCTR[-A-Za-z0-9]+|ISRCTN\d{8}|EUCTR[-A-Za-z0-9]+|jRCT[a-z]?\d{9,10}"
            r"|[A-Z][A-Za-z0-9]*[-_/]?[A-Za-z0-9/-]+)$")
EARLIEST, LATEST = date(1900, 1, 1), date(2100, 12, 31)
STR, INT, FLOAT, BOOL, DATE = pl.String, pl.Int64, pl.Float64, pl.Boolean, pl.Date
LIST = pl.List(pl.String)


def _values(table: dict[str, str]) -> list[str]:
    return sorted(set(table.values()))


def _isin(table: dict[str, str]) -> pa.Check:
    return pa.Check.isin(_values(table))


def _each_isin(table: dict[str, str]) -> pa.Check:
    allowed = _values(table)
    return pa.Check(
        lambda data: data.lazyframe.select(
            pl.col(data.key).list.eval(pl.element().is_in(allowed)).list.all().fill_null(True)
        ),
        name=f"each_isin({allowed})",
    )


_DATE_RANGE = [pa.Check.in_range(EARLIEST, LATEST)]  # one check, not ge and le: pandera collects each check
# three times (0.5 ms a collect however small the frame)
_AGE = [pa.Check.in_range(0, 150)]
_OUTCOME_TYPE = pa.Check.isin(["PRIMARY", "SECONDARY", "OTHER"])
RESULT_TYPES = ("PARTICIPANT_FLOW", "BASELINE", "OUTCOME", "ADVERSE_EVENT")
# the cells of a baseline or outcome table: the measure, its class and category, the group, the value as written
_MEASUREMENT = {
    "title": (STR, [], True), "units": (STR, [], True), "param_type": (STR, [], True),
    "dispersion_type": (STR, [], True), "class_title": (STR, [], True), "category": (STR, [], True),
    "group_code": (STR, [], False),
    **{name: spec for measure in ("value", "dispersion_value", "lower_limit", "upper_limit")
       for name, spec in ((measure, (FLOAT, [], True)), (f"{measure}_raw", (STR, [], True)))},
    "comment": (STR, [], True), "analyzed": (INT, [pa.Check.ge(0)], True), "analyzed_units": (STR, [], True),
}

# table → {column: (dtype, checks, nullable)}
TABLES: dict[str, dict[str, tuple]] = {
    "documents": {
        "doc_id": (STR, [], False), "source_path": (STR, [], False), "member": (STR, [], True),
        "sha256": (STR, [pa.Check.str_matches(r"^[0-9a-f]{64}$")], False), "n_bytes": (INT, [pa.Check.ge(0)], False),
        "source_format": (STR, [], True), "encoding": (STR, [], True), "trial_id": (STR, [], True),
        "status": (STR, [pa.Check.isin(["parsed", "quarantined"])], False), "error": (STR, [], True),
    },
    "trials": {
        "trial_id": (STR, [pa.Check.str_matches(TRIAL_ID)], False), "registry": (STR, [], True),
        "brief_title": (STR, [], True), "official_title": (STR, [], True), "acronym": (STR, [], True),
        "lead_sponsor": (STR, [], True), "sponsor_class": (STR, [_isin(v.SPONSOR_CLASS)], True),
        "overall_status": (STR, [_isin(v.STATUS)], True), "last_known_status": (STR, [_isin(v.STATUS)], True),
        "phases": (LIST, [_each_isin({p: p for p in v.PHASE_ORDER})], True),
        "study_type": (STR, [_isin(v.STUDY_TYPE)], True), "enrollment": (INT, [pa.Check.ge(0)], True),
        "enrollment_type": (STR, [_isin(v.ENROLLMENT_TYPE)], True), "sex": (STR, [_isin(v.SEX)], True),
        "minimum_age": (STR, [], True), "maximum_age": (STR, [], True),
        "minimum_age_years": (FLOAT, _AGE, True), "maximum_age_years": (FLOAT, _AGE, True),
        "healthy_volunteers": (BOOL, [], True), "allocation": (STR, [_isin(v.ALLOCATION)], True),
        "intervention_model": (STR, [_isin(v.INTERVENTION_MODEL)], True),
        "observational_model": (STR, [_isin(v.OBSERVATIONAL_MODEL)], True),
        "time_perspective": (STR, [_isin(v.TIME_PERSPECTIVE)], True),
        "masking": (STR, [_isin(v.MASKING)], True), "who_masked": (LIST, [_each_isin(v.WHO_MASKED)], True),
        "primary_purpose": (STR, [_isin(v.PRIMARY_PURPOSE)], True),
        "brief_summary": (STR, [], True), "detailed_description": (STR, [], True),
        "start_date": (DATE, _DATE_RANGE, True), "primary_completion_date": (DATE, _DATE_RANGE, True),
        "completion_date": (DATE, _DATE_RANGE, True), "first_posted_date": (DATE, _DATE_RANGE, True),
        "last_update_posted_date": (DATE, _DATE_RANGE, True), "version_date": (DATE, _DATE_RANGE, True),
        "start_date_type": (STR, [_isin(v.DATE_TYPE)], True),
        "primary_completion_date_type": (STR, [_isin(v.DATE_TYPE)], True),
        "completion_date_type": (STR, [_isin(v.DATE_TYPE)], True),
        "first_submitted_date": (DATE, _DATE_RANGE, True), "last_update_submitted_date": (DATE, _DATE_RANGE, True),
        "download_date": (DATE, _DATE_RANGE, True), "why_stopped": (STR, [], True),
        "has_dmc": (BOOL, [], True), "number_of_arms": (INT, [pa.Check.ge(0)], True),
        "responsible_party_type": (STR, [_isin(v.RESPONSIBLE_PARTY_TYPE)], True),
        "responsible_party_name": (STR, [], True), "responsible_party_title": (STR, [], True),
        "responsible_party_affiliation": (STR, [], True),
        "has_results": (BOOL, [], True), "results_first_submitted_date": (DATE, _DATE_RANGE, True),
        "results_first_posted_date": (DATE, _DATE_RANGE, True),
        "months_to_report_results": (FLOAT, [], True), "actual_duration_months": (FLOAT, [], True),
        "registration_date": (DATE, _DATE_RANGE, True),
        "overall_status_raw": (STR, [], True),
        "study_type_raw": (STR, [], True),
        "phases_raw": (STR, [], True),
        "enrollment_raw": (STR, [], True),
    },
    "conditions": {"trial_id": (STR, [], False), "condition": (STR, [], False)},
    "keywords": {"trial_id": (STR, [], False), "keyword": (STR, [], False)},
    "interventions": {
        "trial_id": (STR, [], False), "intervention_type": (STR, [_isin(v.INTERVENTION_TYPE)], True),
        "name": (STR, [], False), "description": (STR, [], True), "other_names": (LIST, [], True),
    },
    "arm_groups": {
        "trial_id": (STR, [], False), "label": (STR, [], False), "arm_type": (STR, [_isin(v.ARM_TYPE)], True),
        "description": (STR, [], True), "intervention_names": (LIST, [], True),
    },
    "eligibility_criteria": {
        "trial_id": (STR, [], False), "criterion_type": (STR, [pa.Check.isin(["INCLUSION", "EXCLUSION"])], True),
        "ordinal": (INT, [pa.Check.ge(1)], False), "text": (STR, [], False), "section": (STR, [], True),
    },
    "outcomes": {
        "trial_id": (STR, [], False),
        "outcome_type": (STR, [_OUTCOME_TYPE], True),
        "measure": (STR, [], False), "time_frame": (STR, [], True), "description": (STR, [], True),
    },
    "identifiers": {"trial_id": (STR, [], False), "id_type": (STR, [], True), "id_value": (STR, [], False)},
    "locations": {
        "trial_id": (STR, [], False), "facility": (STR, [], True), "city": (STR, [], True),
        "state": (STR, [], True), "zip": (STR, [], True), "country": (STR, [], True),
    },
    "eligibility_thresholds": {
        "trial_id": (STR, [], False),
        "criterion_type": (STR, [pa.Check.isin(["INCLUSION", "EXCLUSION"])], True),
        "criterion_ordinal": (INT, [pa.Check.ge(1)], False),
        "variable": (STR, [pa.Check.isin(list(th.OUTPUT_VARIABLES))], False),
        "lower": (FLOAT, [], True), "lower_inclusive": (BOOL, [], True),
        "upper": (FLOAT, [], True), "upper_inclusive": (BOOL, [], True), "unit": (STR, [], True),
        "eligible_lower": (FLOAT, [], True), "eligible_lower_inclusive": (BOOL, [], True),
        "eligible_upper": (FLOAT, [], True), "eligible_upper_inclusive": (BOOL, [], True),
        "canonical_unit": (STR, [], True), "eligible_lower_canonical": (FLOAT, [], True),
        "eligible_upper_canonical": (FLOAT, [], True),
        "sex": (STR, [pa.Check.isin(["male", "female"])], True), "qualifiers": (LIST, [], True),
        "span": (STR, [], False), "plausible": (BOOL, [], True),
    },
    # not from documents: the thresholds' variables, for mapping to OMOP or FHIR (pipeline.thresholds.variables)
    "variables": {
        "variable": (STR, [pa.Check.isin(list(th.OUTPUT_VARIABLES))], False), "synonyms": (LIST, [], False),
        "canonical_unit": (STR, [], False), "canonical_unit_ucum": (STR, [], False), "loinc_codes": (LIST, [], True),
        "plausible_lower": (FLOAT, [], False), "plausible_upper": (FLOAT, [], False),
    },
    "collaborators": {"trial_id": (STR, [], False), "name": (STR, [], False)},
    # published tables computed across documents (pipeline.history), not rows of one document
    "trial_versions": {
        "trial_id": (STR, [], False), "version_date": (DATE, _DATE_RANGE, False), "doc_id": (STR, [], False),
        "source_format": (STR, [], True),
    },
    "trial_changes": {
        "trial_id": (STR, [], False), "field": (STR, [], False),
        "change": (STR, [pa.Check.isin(["CHANGED", "ADDED", "REMOVED"])], False),
        "old_value": (STR, [], True), "new_value": (STR, [], True),
        "from_date": (DATE, _DATE_RANGE, False), "to_date": (DATE, _DATE_RANGE, False),
        "formatting_only": (BOOL, [], False),
    },
    # one study, several registrations (pipeline.linking): published over all trials
    "trial_links": {
        "trial_id": (STR, [], False), "linked_trial_id": (STR, [], False),
        "evidence": (STR, [pa.Check.isin(list(v.LINK_EVIDENCE))], False),
        "doc_id": (STR, [], True),
    },
    "trial_clusters": {"trial_id": (STR, [], False), "cluster_id": (STR, [], False), "is_primary": (BOOL, [], False)},
    # the columns of `trials` that come from its versions (joined into trials by trial_id)
    "trial_history": {
        "trial_id": (STR, [], False), "version_date": (DATE, _DATE_RANGE, True), "versions": (INT, [pa.Check.ge(0)], False),
        "enrollment_planned": (INT, [pa.Check.ge(0)], True), "primary_outcomes_changed": (BOOL, [], True),
    },
    "trial_field_conflicts": {
        "trial_id": (STR, [], False), "version_date": (DATE, _DATE_RANGE, True), "field": (STR, [], False),
        "values": (pl.List(pl.Struct({"value": STR, "doc_ids": LIST})), [], False),
    },
    "mesh_terms": {
        "trial_id": (STR, [], False), "term": (STR, [], False),
        "kind": (STR, [pa.Check.isin(["CONDITION", "INTERVENTION"])], False),
    },
    "overall_officials": {
        "trial_id": (STR, [], False), "name": (STR, [], False),
        "role": (STR, [_isin(v.OFFICIAL_ROLE)], True), "affiliation": (STR, [], True),
    },
    "study_references": {
        "trial_id": (STR, [], False),
        "reference_type": (STR, [pa.Check.isin(["BACKGROUND", "RESULT", "DERIVED"])], True),
        "pmid": (STR, [pa.Check.str_matches(r"^\d+$")], True), "citation": (STR, [], True),
    },
    "result_groups": {
        "trial_id": (STR, [], False), "result_type": (STR, [pa.Check.isin(list(RESULT_TYPES))], False),
        "outcome_ordinal": (INT, [pa.Check.ge(1)], True), "group_code": (STR, [], False),
        "title": (STR, [], True), "description": (STR, [], True),
        **{f"{events}_{n}": (INT, [pa.Check.ge(0)], True)
           for events in ("serious", "other", "deaths") for n in ("affected", "at_risk")},
    },
    "participant_flow": {
        "trial_id": (STR, [], False), "period": (STR, [], True),
        "kind": (STR, [pa.Check.isin(["MILESTONE", "DROP_WITHDRAWAL"])], False), "label": (STR, [], True),
        "group_code": (STR, [], False), "count": (INT, [pa.Check.ge(0)], True), "count_raw": (STR, [], True),
    },
    "baseline_measurements": {
        "trial_id": (STR, [], False), "measure_ordinal": (INT, [pa.Check.ge(1)], False), **_MEASUREMENT,
    },
    "outcome_measurements": {
        "trial_id": (STR, [], False), "outcome_ordinal": (INT, [pa.Check.ge(1)], False),
        "outcome_type": (STR, [_OUTCOME_TYPE], True), "post_hoc": (BOOL, [], True), "time_frame": (STR, [], True),
        **_MEASUREMENT,
    },
    "outcome_analyses": {
        "trial_id": (STR, [], False), "outcome_ordinal": (INT, [pa.Check.ge(1)], False),
        "outcome_type": (STR, [_OUTCOME_TYPE], True), "post_hoc": (BOOL, [], True), "title": (STR, [], True),
        "analysis_ordinal": (INT, [pa.Check.ge(1)], False), "group_codes": (LIST, [], True),
        "groups_description": (STR, [], True), "non_inferiority_type": (STR, [], True), "method": (STR, [], True),
        "p_value": (FLOAT, [pa.Check.ge(0)], True), "p_value_raw": (STR, [], True),
        "p_value_modifier": (STR, [pa.Check.isin(["<", "<=", ">", ">=", "="])], True),
        "param_type": (STR, [], True), "param_value": (FLOAT, [], True), "param_value_raw": (STR, [], True),
        "dispersion_type": (STR, [], True), "dispersion_value": (FLOAT, [], True),
        "ci_percent": (FLOAT, [pa.Check.in_range(0, 100)], True), "ci_n_sides": (STR, [], True),
        "ci_lower": (FLOAT, [], True), "ci_lower_raw": (STR, [], True),
        "ci_upper": (FLOAT, [], True), "ci_upper_raw": (STR, [], True), "estimate_description": (STR, [], True),
    },
    "adverse_events": {
        "trial_id": (STR, [], False), "event_type": (STR, [pa.Check.isin(["SERIOUS", "OTHER"])], False),
        "event_ordinal": (INT, [pa.Check.ge(1)], False), "organ_system": (STR, [], True), "term": (STR, [], True), "group_code": (STR, [], False),
        "subjects_affected": (INT, [pa.Check.ge(0)], True), "subjects_at_risk": (INT, [pa.Check.ge(0)], True),
        "events": (INT, [pa.Check.ge(0)], True),
    },
}

# The unique key of each table once published (one trial); in the shard stage doc_id is prepended.
# Where registries repeat a name with another description (two "Pharmacokinetics" outcomes), the
# description is part of the key: only exact repeats are duplicates.
KEYS: dict[str, tuple[str, ...]] = {
    "documents": ("doc_id",),
    "trials": ("trial_id",),
    "conditions": ("trial_id", "condition"),
    "keywords": ("trial_id", "keyword"),
    "interventions": ("trial_id", "intervention_type", "name", "description"),
    "arm_groups": ("trial_id", "label"),
    "eligibility_criteria": ("trial_id", "criterion_type", "ordinal"),
    "outcomes": ("trial_id", "outcome_type", "measure", "time_frame", "description"),
    "identifiers": ("trial_id", "id_type", "id_value"),
    "locations": ("trial_id", "facility", "city", "state", "zip", "country"),
    "eligibility_thresholds": ("trial_id", "criterion_type", "criterion_ordinal", "variable", "sex", "lower", "upper", "span"),
    "variables": ("variable",),
    "collaborators": ("trial_id", "name"),
    "mesh_terms": ("trial_id", "term", "kind"),
    "overall_officials": ("trial_id", "name", "role", "affiliation"),
    "study_references": ("trial_id", "reference_type", "pmid", "citation"),
    "result_groups": ("trial_id", "result_type", "outcome_ordinal", "group_code"),
    "participant_flow": ("trial_id", "period", "kind", "label", "group_code"),
    "baseline_measurements": ("trial_id", "measure_ordinal", "class_title", "category", "group_code"),
    "outcome_measurements": ("trial_id", "outcome_ordinal", "class_title", "category", "group_code"),
    "outcome_analyses": ("trial_id", "outcome_ordinal", "analysis_ordinal"),
    "adverse_events": ("trial_id", "event_type", "event_ordinal", "group_code"),
    "trial_versions": ("trial_id", "version_date", "doc_id"),
    "trial_links": ("trial_id", "linked_trial_id", "evidence", "doc_id"),
    "trial_clusters": ("trial_id",),
    "trial_changes": ("trial_id", "field", "change", "old_value", "new_value", "from_date", "to_date"),
    "trial_history": ("trial_id",),
    "trial_field_conflicts": ("trial_id", "version_date", "field"),
}


def columns(table: str) -> dict[str, pl.DataType]:
    """The polars dtypes of a table's columns, in output order."""
    return {name: dtype for name, (dtype, _, _) in TABLES[table].items()}


def _ordered(lo: str, hi: str) -> pl.Expr:
    """lo ≤ hi wherever both are stated."""
    return pl.col(lo).is_null() | pl.col(hi).is_null() | (pl.col(lo) <= pl.col(hi))


def _age_order(data: pa.PolarsData) -> pl.LazyFrame:
    return data.lazyframe.select(_ordered("minimum_age_years", "maximum_age_years").alias("minimum_age_le_maximum_age"))


def _bounds_order(data: pa.PolarsData) -> pl.LazyFrame:
    return data.lazyframe.select((_ordered("lower", "upper") & _ordered("eligible_lower", "eligible_upper")
                                  & _ordered("eligible_lower_canonical", "eligible_upper_canonical")).alias("lower_le_upper"))


# every number is finite: infinity and NaN are no value a registry states (a bound of 400 nines once read as inf)
_FINITE = pa.Check(lambda data: data.lazyframe.select(pl.col(data.key).is_finite().fill_null(True)), name="finite")


@cache
def schema(table: str, per_document: bool = False) -> pa.DataFrameSchema:
    """The schema of one table; per_document adds doc_id to the row and to the unique key."""
    spec = {name: pa.Column(dtype, checks=[*checks, _FINITE] if dtype == FLOAT else checks, nullable=nullable)
            for name, (dtype, checks, nullable) in TABLES[table].items()}
    key = list(KEYS[table])
    if per_document and table != "documents":
        spec["doc_id"] = pa.Column(STR, nullable=False)
        key = ["doc_id", *key]
    checks = {"trials": [pa.Check(_age_order, name="minimum_age_le_maximum_age")],
              "eligibility_thresholds": [pa.Check(_bounds_order, name="lower_le_upper")]}.get(table, [])
    return pa.DataFrameSchema(spec, checks=checks, unique=key, name=table)
