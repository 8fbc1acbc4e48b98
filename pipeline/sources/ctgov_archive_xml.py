"""The ClinicalTrials.gov Archive's own XML of one version of a record (2005–2014) → TrialRecord.

An older schema than the legacy `<clinical_study>` of ctgov_xml: ids under `<study_id>`, titles and
long texts wrapped in `<textblock>`, `<status_block>`, `<phase_block>`, `<study_sponsor>`, bare
`<design>` values (as the Archive page lists them), `<intervent_type>`/`<primary_name>`, outcomes as
plain text in the earliest versions, `<expected_enrollment>` under `<eligibility>` (later a typed
`<enrollment>`), `<resp_party>` for the legacy `<responsible_party>`, and the version's registry dates as
`<initial_release_date>`/`<last_release_date>`. The element-level helpers are
ctgov_xml's; the bare design values are placed as the Archive page reader places them.

The version date (the day the Archive recorded this content) is not in the XML: the Archive names
each file `NCT…_YYYYMMDD.xml`, so it is read from the document's name when the caller passes it.
The first version of a record often has an empty `<nct_id>` too; the name then gives the trial id.
Without a name, the version date stays null (its last update date stands in) and a record with no
id is refused.
"""
from __future__ import annotations

import re
from datetime import date

from pipeline.criteria import split_criteria
from pipeline.record import ArmGroup, Identifier, Intervention, Outcome, ParseError, TrialRecord
from pipeline.sources import ctgov_xml
from pipeline.sources.ctgov_archive import place_design
from pipeline.sources.ctgov_xml import _cleaned, _first_text, _grouped, _location, _texts_by_tag
from pipeline.vocabulary import (
    ARM_TYPE, DATE_TYPE, ENROLLMENT_TYPE, SEX, STATUS, STUDY_TYPE, age_text, clean, lookup, parse_date,
    phases, stated_count, yes_no,
)

FORMAT = "ctgov_archive_xml"
READS_NAME = True  # sources.parse passes the document's name (see above)

_STUDY_ID = re.compile(r"<clinical_study>\s*<study_id>")
_NAME = re.compile(r"(NCT\d{8})_(\d{4})(\d{2})(\d{2})\.xml$")
_OUTCOME_TYPES = {"primary_outcome": "PRIMARY", "secondary_outcome": "SECONDARY"}


def recognises(text: str) -> bool:
    """A legacy `<clinical_study>` root whose first child is `<study_id>` (the Archive's schema)."""
    head = text[:8192]
    return ctgov_xml.recognises(head) and bool(_STUDY_ID.search(head))


def parse(text: str, name: str | None = None) -> list[TrialRecord]:
    """One Archive XML document (named `NCT…_YYYYMMDD.xml` by the Archive) → its one TrialRecord."""
    named = _NAME.search(name or "")
    root = ctgov_xml._root(text)
    study = _grouped(root)
    if "study_id" not in study:
        raise ParseError(f"{FORMAT}: no <study_id>")
    ids = _texts_by_tag(study["study_id"][0])
    trial_id = _first_text(ids, "nct_id") or (named and named[1])
    if not trial_id:
        raise ParseError(f"{FORMAT}: empty <nct_id> and no NCT…_YYYYMMDD name to take the id from")
    if named and named[1] != trial_id:
        raise ParseError(f"{FORMAT}: <nct_id> {trial_id} differs from the name's {named[1]}")
    record = TrialRecord(trial_id, version_date=named and date(*map(int, named.groups()[1:])))

    def text(tag: str, child: str | None = None) -> str | None:
        if tag not in study:
            return None
        element = study[tag][0]
        return clean(element.findtext(child) if child else element.text)

    record.brief_title = text("brief_title", "textblock")
    record.official_title = text("official_title", "textblock")
    record.acronym = text("acronym")
    record.brief_summary = text("brief_summary", "textblock")
    record.detailed_description = text("detailed_descr", "textblock")
    record.overall_status = lookup(STATUS, text("status_block", "status"))
    record.why_stopped = text("status_block", "why_stopped/textblock")
    record.phases = phases(" ".join(_cleaned(e.text for block in study.get("phase_block", ()) for e in block)))
    record.study_type = lookup(STUDY_TYPE, text("study_type"))
    record.start_date = parse_date(text("start_date", "date"))
    record.primary_completion_date = parse_date(text("primary_compl_date", "date"))
    record.completion_date = parse_date(text("last_follow_up_date", "date"))  # as the Archive page labels it
    record.start_date_type, record.primary_completion_date_type, record.completion_date_type = (
        lookup(DATE_TYPE, study[tag][0].get("type")) if tag in study else None
        for tag in ("start_date", "primary_compl_date", "last_follow_up_date"))
    # the date first released to the registry: the firstreceived_date (study_first_submitted) of the same trial's
    # records, not the later posting date, which the Archive does not state
    record.first_submitted_date = parse_date(text("initial_release_date"))
    # the day the version was submitted: the same trial's legacy XML states it as its lastchanged_date (NCT00645515:
    # April 25, 2008, in the Archive's version of 2008-05-04)
    record.last_update_submitted_date = parse_date(text("last_release_date"))
    # results: that the version has them, and the day they were first released (the legacy XML's
    # firstreceived_results_date: NCT00503399's 2011-10-04); the tables themselves are in a schema of the Archive's
    # own (<reportinggroupid>, <parametervalue>), not read
    record.has_results = "clinical_result" in study
    record.results_first_submitted_date = parse_date(text("init_results_release_date"))
    if "study_sponsor" in study:
        sponsors = _grouped(study["study_sponsor"][0])
        record.lead_sponsor = clean(sponsors["lead_sponsor"][0].findtext("agency")) if "lead_sponsor" in sponsors else None
        record.collaborators = _cleaned(e.findtext("agency") for e in sponsors.get("sponsor", ()))
    record.identifiers = [Identifier("ORG_STUDY_ID", v) for v in _cleaned(ids.get("org_study_id", ()))] + [
        Identifier("SECONDARY_ID", v) for e in study["study_id"][0].iterfind("secondary_id") if (v := _secondary_id(e))
    ]
    for design in _cleaned(e.text for e in study.get("design", ())):
        place_design(record, design)
    record.conditions = _cleaned(e.text for e in study.get("condition", ()))
    record.keywords = _cleaned(e.text for e in study.get("keyword", ()))
    record.interventions = [i for e in study.get("intervention", ())
                            if (i := ctgov_xml.intervention(e, ("primary_name", "intervent_type", "description/textblock")))]
    record.arm_groups = [a for e in study.get("arm_group", ()) if (a := _arm_group(e, record.interventions))]
    record.outcomes = [o for tag, kind in _OUTCOME_TYPES.items() for e in study.get(tag, ()) if (o := _outcome(e, kind))]
    record.locations = [x for e in study.get("location", ()) if (f := e.find("facility")) is not None and (x := _location(f))]
    if "eligibility" in study:
        _eligibility(record, study["eligibility"][0])
    # the oversight, arms and responsible party the legacy XML states: a version first states them at its first update
    # after the registry asked for them (NCT00181896: a DMC in 2007, its responsible party in 2010, arms in 2011)
    record.has_dmc = yes_no(text("oversight_info", "has_dmc"))
    record.number_of_arms = ctgov_xml._whole(text("number_of_arms"), "number_of_arms", FORMAT)
    if "resp_party" in study:
        party = _texts_by_tag(study["resp_party"][0])  # the legacy XML's children, its type named resp_party_type
        party["responsible_party_type"] = party.pop("resp_party_type", [])
        ctgov_xml._responsible_party(record, party)
    # <enrollment type="Anticipated|Actual"> in later versions, <eligibility><expected_enrollment> in earlier ones
    if text("enrollment"):
        record.enrollment, record.enrollment_type = ctgov_xml._enrollment(study["enrollment"][0])
    elif record.enrollment is not None:
        record.enrollment_type = lookup(ENROLLMENT_TYPE, "Expected")
    return [record]


def _secondary_id(element) -> str | None:
    """A bare `<secondary_id>` text, or the `<id>` of a structured one (its id_type/id_domain beside it)."""
    return clean(element.findtext("id")) or clean(element.text)


def _count(text: str | None) -> int | None:
    count = stated_count(text)
    if text and count is None:
        raise ParseError(f"{FORMAT}: enrollment {text[:40]!r} is not a whole number")
    return count


def _eligibility(record: TrialRecord, eligibility) -> None:
    texts = {child.tag: child.text for child in eligibility}
    record.eligibility_criteria = split_criteria(eligibility.findtext("criteria/textblock"))
    record.sex = lookup(SEX, clean(texts.get("gender")))
    record.minimum_age = age_text(clean(texts.get("minimum_age")))
    record.maximum_age = age_text(clean(texts.get("maximum_age")))
    record.healthy_volunteers = yes_no(clean(texts.get("healthy_volunteers")))
    record.enrollment = _count(clean(texts.get("expected_enrollment")))


def _arm_group(element, interventions: list[Intervention]) -> ArmGroup | None:
    label = clean(element.findtext("arm_group_label"))
    if not label:
        return None
    return ArmGroup(label, lookup(ARM_TYPE, clean(element.findtext("arm_type"))),
                    clean(element.findtext("description/textblock")),
                    [i.name for i in interventions if label in i.arm_group_labels])


def _outcome(element, outcome_type: str) -> Outcome | None:
    """`<measure>`, `<time_frame>` and a `<description>` textblock, or (the earliest versions) the bare text."""
    measure = clean(element.findtext("measure")) or clean(element.text)
    if not measure:
        return None
    return Outcome(outcome_type, measure, clean(element.findtext("time_frame")),
                   clean(element.findtext("description/textblock")))
