"""The one typed trial record every source reader returns.

Readers differ in what they can see (a Veeva page never lists locations, a legacy XML record does),
but they all fill this same shape, so everything downstream (explode, validate, merge) is written once.
Field names and vocabulary are those of ../shared/CONTRACT.md; None (or an empty list) means
"the source does not say".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(slots=True)
class Intervention:
    intervention_type: str | None
    name: str
    description: str | None = None
    arm_group_labels: list[str] = field(default_factory=list)
    other_names: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ArmGroup:
    label: str
    arm_type: str | None = None
    description: str | None = None
    intervention_names: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Criterion:
    criterion_type: str | None  # INCLUSION | EXCLUSION; None when the text has no heading
    ordinal: int  # 1-based within its type
    text: str
    section: str | None = None  # the headings it sits under, as written ("PATIENT CHARACTERISTICS: Age:"), then the
    # criteria ending in a colon that lead it ("… one of the following:")
    headings: str | None = field(default=None, compare=False)  # the section's headings alone: where a variable is named


@dataclass(slots=True)
class Outcome:
    outcome_type: str | None  # PRIMARY | SECONDARY | OTHER | None when the page does not say
    measure: str
    time_frame: str | None = None
    description: str | None = None


@dataclass(slots=True)
class Identifier:
    id_type: str | None  # e.g. ORG_STUDY_ID, SECONDARY_ID, NIH, EUDRACT_NUMBER, OTHER
    id_value: str


@dataclass(slots=True)
class Location:
    facility: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None


@dataclass(slots=True)
class MeshTerm:
    term: str
    kind: str  # CONDITION | INTERVENTION


# Results (what a trial reported). Each class's fields are its table's columns after trial_id, in the
# schema's order (explode reads them by column name); group codes are the API's (FG000, BG000, OG000, EG000).


@dataclass(slots=True)
class ResultGroup:
    """An arm or comparison group as one results table lists it; outcome groups are listed per outcome."""
    result_type: str  # PARTICIPANT_FLOW | BASELINE | OUTCOME | ADVERSE_EVENT
    group_code: str
    title: str | None = None
    description: str | None = None
    outcome_ordinal: int | None = None  # the outcome whose group this is (OUTCOME groups only)
    # participants with any serious / other adverse event and all-cause deaths, with the numbers at risk
    serious_affected: int | None = None
    serious_at_risk: int | None = None
    other_affected: int | None = None
    other_at_risk: int | None = None
    deaths_affected: int | None = None
    deaths_at_risk: int | None = None


@dataclass(slots=True)
class FlowCount:
    period: str | None
    kind: str  # MILESTONE | DROP_WITHDRAWAL
    label: str | None
    group_code: str
    count: int | None
    count_raw: str | None


@dataclass(slots=True)
class Measurement:
    """One value of a baseline or outcome table: one cell (class, category, group) of one measure."""
    title: str | None
    group_code: str
    units: str | None = None
    param_type: str | None = None
    dispersion_type: str | None = None
    class_title: str | None = None
    category: str | None = None
    value: float | None = None
    value_raw: str | None = None
    dispersion_value: float | None = None
    dispersion_value_raw: str | None = None
    lower_limit: float | None = None
    lower_limit_raw: str | None = None
    upper_limit: float | None = None
    upper_limit_raw: str | None = None
    comment: str | None = None
    analyzed: int | None = None  # the group's number analyzed for this measure (its class's, where stated)
    analyzed_units: str | None = None  # what was counted: Participants, eyes, …
    measure_ordinal: int | None = None  # baseline: 1-based position of the measure
    outcome_ordinal: int | None = None  # outcomes: 1-based position of the outcome among the reported ones
    outcome_type: str | None = None
    post_hoc: bool | None = None  # outcomes: typed post-hoc by the registry (vocabulary.post_hoc)
    time_frame: str | None = None


@dataclass(slots=True)
class Analysis:
    """A statistical comparison of groups for one outcome: estimate, confidence interval, p-value."""
    outcome_ordinal: int
    outcome_type: str | None
    title: str | None
    analysis_ordinal: int
    group_codes: list[str] = field(default_factory=list)
    groups_description: str | None = None
    non_inferiority_type: str | None = None
    method: str | None = None
    p_value: float | None = None
    p_value_raw: str | None = None
    p_value_modifier: str | None = None  # the comparator p_value_raw is written with: "<", "<=", ">", ">=", "="
    param_type: str | None = None
    param_value: float | None = None
    param_value_raw: str | None = None
    dispersion_type: str | None = None
    dispersion_value: float | None = None
    ci_percent: float | None = None
    ci_n_sides: str | None = None
    ci_lower: float | None = None
    ci_lower_raw: str | None = None
    ci_upper: float | None = None
    ci_upper_raw: str | None = None
    estimate_description: str | None = None
    post_hoc: bool | None = None  # the outcome is typed post-hoc by the registry (vocabulary.post_hoc)


@dataclass(slots=True)
class AdverseEvent:
    event_type: str  # SERIOUS | OTHER
    event_ordinal: int  # 1-based position among the trial's events of its type (a term may be listed twice)
    organ_system: str | None
    term: str | None
    group_code: str
    subjects_affected: int | None = None
    subjects_at_risk: int | None = None
    events: int | None = None


@dataclass(slots=True)
class Reference:
    reference_type: str | None  # BACKGROUND | RESULT | DERIVED
    pmid: str | None
    citation: str | None


@dataclass(slots=True)
class Official:
    name: str
    role: str | None = None  # PRINCIPAL_INVESTIGATOR | STUDY_DIRECTOR | STUDY_CHAIR
    affiliation: str | None = None


@dataclass(slots=True)
class TrialRecord:
    """Everything one document states about one trial."""

    trial_id: str
    registry: str = "CTGOV"  # the contract's registry code
    brief_title: str | None = None
    official_title: str | None = None
    acronym: str | None = None
    lead_sponsor: str | None = None
    sponsor_class: str | None = None
    overall_status: str | None = None
    last_known_status: str | None = None
    phases: list[str] = field(default_factory=list)
    study_type: str | None = None
    enrollment: int | None = None
    enrollment_type: str | None = None
    sex: str | None = None
    minimum_age: str | None = None  # as the registry's form writes it, e.g. "20 Years"
    maximum_age: str | None = None
    healthy_volunteers: bool | None = None
    allocation: str | None = None
    intervention_model: str | None = None
    observational_model: str | None = None
    time_perspective: str | None = None
    masking: str | None = None
    who_masked: list[str] = field(default_factory=list)
    primary_purpose: str | None = None
    brief_summary: str | None = None
    detailed_description: str | None = None
    start_date: date | None = None
    primary_completion_date: date | None = None
    completion_date: date | None = None
    first_posted_date: date | None = None
    last_update_posted_date: date | None = None
    start_date_type: str | None = None  # ACTUAL | ESTIMATED
    primary_completion_date_type: str | None = None
    completion_date_type: str | None = None
    first_submitted_date: date | None = None
    last_update_submitted_date: date | None = None
    # the day the registry produced this copy of the record ("ClinicalTrials.gov processed this data on …"):
    # of two copies of one version, the later one carries the registry's own later edits (see pipeline.history)
    download_date: date | None = None
    why_stopped: str | None = None
    has_dmc: bool | None = None
    number_of_arms: int | None = None
    responsible_party_type: str | None = None  # SPONSOR | PRINCIPAL_INVESTIGATOR | SPONSOR_INVESTIGATOR
    responsible_party_name: str | None = None
    responsible_party_title: str | None = None
    responsible_party_affiliation: str | None = None
    has_results: bool | None = None
    results_first_submitted_date: date | None = None
    results_first_posted_date: date | None = None
    registration_date: date | None = None
    overall_status_raw: str | None = None
    study_type_raw: str | None = None
    phases_raw: str | None = None
    enrollment_raw: str | None = None
    # (the *_raw fields: the registry's own words, set where the contract word is null or differs in meaning; an
    # enrollment's where they state no one count)
    # The day the registry's record had this content, where the source dates its versions itself (the
    # Archive's version date); None means "dated by its last update" (history.DOCUMENT_VERSIONS).
    version_date: date | None = None
    conditions: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    interventions: list[Intervention] = field(default_factory=list)
    arm_groups: list[ArmGroup] = field(default_factory=list)
    eligibility_criteria: list[Criterion] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    locations: list[Location] = field(default_factory=list)
    collaborators: list[str] = field(default_factory=list)
    mesh_terms: list[MeshTerm] = field(default_factory=list)
    overall_officials: list[Official] = field(default_factory=list)
    study_references: list[Reference] = field(default_factory=list)
    result_groups: list[ResultGroup] = field(default_factory=list)
    participant_flow: list[FlowCount] = field(default_factory=list)
    baseline_measurements: list[Measurement] = field(default_factory=list)
    outcome_measurements: list[Measurement] = field(default_factory=list)
    outcome_analyses: list[Analysis] = field(default_factory=list)
    adverse_events: list[AdverseEvent] = field(default_factory=list)
    # which part of a multi-record file this is (an EU CTR member state, `EUCTR2021-000037-14-ES`): the doc_id suffix
    document_part: str | None = None


class ParseError(ValueError):
    """A document that cannot be read as its format; the message is the quarantine reason."""
