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


@dataclass(slots=True)
class TrialRecord:
    """Everything one document states about one trial."""

    trial_id: str
    registry: str = "ClinicalTrials.gov"
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
    # The day the registry's record had this content, where the source dates its versions itself (the
    # Archive's version date); None means "its last_update_posted_date" (see trial_row).
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


class ParseError(ValueError):
    """A document that cannot be read as its format; the message is the quarantine reason."""
