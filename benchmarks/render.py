"""Render one TrialRecord (read by the pipeline from a real legacy XML record) in the other input forms.

For the benchmark only: the pages are laid out like the real seed pages in ../shared/seeds (000_* is
a ClinicalTrials.Veeva page, 002_* a classic ClinicalTrials.gov page), the JSON like the real API
v2 records in ../shared/corpus/ctgov_api_v2_json and the ICTRP export like the ClinicalTrials.gov trials
of ../shared/corpus/ictrp/ICTRP-Results_18Mar2020.xml, so each reader does the work it does on real input.
The real pages stay the readers' test data; benchmarks/corpus.py checks that every rendered form
parses back to the same trial.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from xml.sax.saxutils import escape

from pipeline.record import TrialRecord

_SMALL = {"Or", "And", "Of", "By", "For", "Not", "To"}


def display(value: str | None) -> str:
    """A contract value as the registry pages write it: ACTIVE_NOT_RECRUITING → "Active, not recruiting"."""
    if value is None:
        return ""
    words = value.replace("_", " ").lower().split()
    return " ".join(w if i and w.title() in _SMALL else w.title() for i, w in enumerate(words))


def _phase(value: str) -> str:
    return {"NA": "Not Applicable", "EARLY_PHASE1": "Early Phase 1"}.get(value, value.replace("PHASE", "Phase "))


def _long_date(value: date | None) -> str:
    return f"{value:%B} {value.day}, {value.year}" if value else ""


def _criteria_blocks(record: TrialRecord, headings: dict, bullet) -> list[tuple[str | None, list[str]]]:
    """(heading, bulleted items) per criterion type, in the order of `headings` (criterion type → heading).
    Criteria under no heading (the NCI-style records that are most of the 2014 archive) go under
    `headings[None]`: none in JSON, the inclusion heading on a page, so every form carries every criterion."""
    blocks: list[tuple[str | None, list[str]]] = []
    for kind, heading in headings.items():
        items = [bullet(c.ordinal, c.text) for c in record.eligibility_criteria if c.criterion_type == kind]
        if items and blocks and heading is not None and blocks[-1][0] == heading:
            blocks[-1][1].extend(items)
        elif items:
            blocks.append((heading, items))
    return blocks


# ---------------------------------------------------------------- ClinicalTrials.Veeva (seed 000_*)

def veeva_text(r: TrialRecord) -> str:
    out = ["ClinicalTrials.Veeva", "", "Menu", "", r.brief_title or r.trial_id, ""]
    if r.lead_sponsor:
        out += [r.lead_sponsor[0].upper(), "", r.lead_sponsor, ""]
    out += ["Status and phase", "", display(r.overall_status) or "Unknown status"]
    out += [_phase(p) for p in r.phases] + [""]
    if r.conditions:
        out += ["Conditions", "", *r.conditions, ""]
    if r.interventions:
        out += ["Treatments", ""] + [f"{display(i.intervention_type)}: {i.name}" if i.intervention_type else i.name
                                    for i in r.interventions] + [""]
    if r.study_type:
        out += ["Study type", "", display(r.study_type), ""]
    if r.sponsor_class:
        out += ["Funder types", "", display(r.sponsor_class), ""]
    out += ["Identifiers", "", r.trial_id, *[i.id_value for i in r.identifiers], ""]
    out += ["Details and patient eligibility", ""]
    if r.brief_summary:
        out += ["About", "", r.brief_summary, ""]
    if r.detailed_description:
        out += ["Full description", "", r.detailed_description, ""]
    if r.enrollment is not None:
        out += ["Enrollment", "", f"{r.enrollment} {'estimated ' if r.enrollment_type == 'ESTIMATED' else ''}patients", ""]
    if r.sex:
        out += ["Sex", "", display(r.sex), ""]
    ages = _veeva_ages(r.minimum_age, r.maximum_age)
    if ages:
        out += ["Ages", "", ages, ""]
    if r.healthy_volunteers is not None:
        out += ["Volunteers", "", "Accepts Healthy Volunteers" if r.healthy_volunteers else "No Healthy Volunteers", ""]
    headings = {None: "Inclusion criteria", "INCLUSION": "Inclusion criteria", "EXCLUSION": "Exclusion criteria"}
    for heading, items in _criteria_blocks(r, headings, lambda n, text: f"  {n}. {text}"):
        out += [heading, "", *items, ""]
    out += ["Trial design", ""]
    for heading, value in (("Primary purpose", r.primary_purpose), ("Allocation", r.allocation),
                           ("Interventional model", r.intervention_model),
                           ("Observational model", r.observational_model), ("Time perspective", r.time_perspective)):
        if value:
            out += [heading, "", display(value), ""]
    masked = display(r.masking) + (" Blind" if r.masking not in (None, "NONE") else "")
    out += ["Masking", "", masked or "None", ""]
    if r.arm_groups:
        out += [f"{r.enrollment or 0} participants in {len(r.arm_groups)} patient groups", ""]
        for arm in r.arm_groups:
            out += [arm.label, f"{display(arm.arm_type) or 'Other'} group"]
            if arm.description:
                out += ["Description:", arm.description]
            if arm.intervention_names:
                out += ["Treatment:", *arm.intervention_names]
        out.append("")
    if r.collaborators:
        out += ["Collaborators", "", *r.collaborators, ""]
    out += ["Trial contacts and locations", "", str(len(r.locations)), "", "Loading...", "",
            "Data sourced from clinicaltrials.gov", "", "Clinical trials", "",
            "Find clinical trialsTrials by location", "© Copyright 2026 Veeva Systems"]
    return "\n".join(out)


def _veeva_ages(lo: str | None, hi: str | None) -> str:
    lo, hi = (None if age in (None, "N/A") else age for age in (lo, hi))  # the legacy record's "no limit"

    def parts(text):
        number, _, unit = text.partition(" ")
        return number, unit.lower()
    if lo and hi:
        (a, ua), (b, ub) = parts(lo), parts(hi)
        return f"{a} to {b} {ub} old" if ua == ub else f"{a} {ua} to {b} {ub} old"
    if lo:
        a, ua = parts(lo)
        return f"{a}+ {ua} old"
    if hi:
        b, ub = parts(hi)
        return f"up to {b} {ub} old"
    return ""


# ---------------------------------------------------------------- classic ClinicalTrials.gov (seed 002_*)

_CLASSIC_LEAD = ("The safety and scientific validity of this study is the responsibility of the study sponsor and "
                 "investigators. Listing a study does not mean it has been evaluated by the U.S. Federal Government. "
                 "Read our disclaimer for details. |")


def classic_text(r: TrialRecord) -> str:
    status = display(r.overall_status)
    out = [r.brief_title or r.trial_id, "![]() |", _CLASSIC_LEAD, f"ClinicalTrials.gov Identifier: {r.trial_id} |",
           f"Recruitment Status : {status if status != 'Unknown' else 'Unknown status'}"]
    if r.last_known_status:
        out.append(f"Recruitment status was: {display(r.last_known_status)}")
    out += [f"First Posted : {_long_date(r.first_posted_date)}", _last_update(r, " "),
            "|", "- Study Details", "- Tabular View", "- No Results Posted", "- Disclaimer",
            "- How to Read a Study Record", "Condition or disease | Intervention/treatment | Phase |", "---|---|---|"]
    conditions = " ".join(r.conditions[:1])
    treatments = " ".join(f"{display(i.intervention_type)}: {i.name}" for i in r.interventions if i.intervention_type)
    out.append(f"{conditions} | {treatments} | {' '.join(_phase(p) for p in r.phases)} |")
    if r.study_type:
        out.append(f"Study Type : | {display(r.study_type)} |")
    if r.enrollment is not None:
        kind = "Estimated" if r.enrollment_type == "ESTIMATED" else "Actual"
        out.append(f"{kind} Enrollment : | {r.enrollment} participants |")
    for label, value in (("Allocation", r.allocation), ("Intervention Model", r.intervention_model),
                         ("Observational Model", r.observational_model), ("Time Perspective", r.time_perspective)):
        if value:
            out.append(f"{label}: | {display(value)} |")
    if r.masking:
        roles = f" ({', '.join(display(w) for w in r.who_masked)})" if r.who_masked else ""
        out.append(f"Masking: | {'None (Open Label)' if r.masking == 'NONE' else display(r.masking) + roles} |")
    if r.primary_purpose:
        out.append(f"Primary Purpose: | {display(r.primary_purpose)} |")
    if r.official_title:
        out.append(f"Official Title: | {r.official_title} |")
    if r.acronym:
        out.append(f"Acronym: | {r.acronym} |")
    for label, value in (("Study Start Date", r.start_date), ("Primary Completion Date", r.primary_completion_date),
                         ("Study Completion Date", r.completion_date)):
        if value:
            out.append(f"Actual {label} : | {_long_date(value)} |")
    if r.arm_groups:
        out += ["", "Arm | Intervention/treatment |", "---|---|"]
        descriptions = {i.name: i.description for i in r.interventions}
        types = {i.name: i.intervention_type for i in r.interventions}
        for arm in r.arm_groups:
            out.append(f"{display(arm.arm_type) or 'Other'}: {arm.label} |")
            for name in arm.intervention_names:
                out.append(f"{display(types.get(name)) or 'Other'}: {name}")
                if descriptions.get(name):
                    out.append(f"{descriptions[name]} |")
    out += [f"- {o.measure} [ Time Frame: {o.time_frame or 'not stated'} ]" for o in r.outcomes]
    out += ["", "Choosing to participate in a study is an important personal decision. Talk with your doctor and family "
                "members or friends about deciding to join a study."]
    ages = _classic_ages(r.minimum_age, r.maximum_age)
    if ages:
        out.append(f"Ages Eligible for Study: | {ages} |")
    if r.sex:
        out.append(f"Sexes Eligible for Study: | {display(r.sex)} |")
    if r.healthy_volunteers is not None:
        out.append(f"Accepts Healthy Volunteers: | {'Yes' if r.healthy_volunteers else 'No'} |")
    headings = {None: "Inclusion Criteria:", "INCLUSION": "Inclusion Criteria:", "EXCLUSION": "Exclusion Criteria:"}
    for heading, items in _criteria_blocks(r, headings, lambda n, text: f"- {text}"):
        out += [heading, *items]
    out += ["", "To learn more about this study, you or your doctor may contact the study research staff using the "
                "contact information provided by the sponsor.",
            f"Please refer to this study by its ClinicalTrials.gov identifier (NCT number): {r.trial_id}"]
    for loc in r.locations[:20]:
        place = ", ".join(p for p in (loc.city, loc.state, loc.country, loc.zip) if p)
        if loc.facility and loc.city and loc.country:
            out += [f"{loc.facility} | |", f"{place} |"]
    if r.lead_sponsor:
        out.append(f"Responsible Party: | {r.lead_sponsor} |")
    out.append(f"ClinicalTrials.gov Identifier: | {r.trial_id} |")
    ids = [i.id_value for i in r.identifiers]
    if ids:
        out += ["Other Study ID Numbers: |", " | ".join(ids) + " |"]
    out += [f"First Posted: | {_long_date(r.first_posted_date)} Key Record Dates |",
            _last_update(r, "") + " |"]
    if r.keywords:
        out.append(" ".join(r.keywords) + " |")
    return "\n".join(out)


def _last_update(r: TrialRecord, space: str) -> str:
    """The page's last update line: its posting date, else (a 2014 record) the submitted date, as the older pages
    wrote it ("Last Updated")."""
    if r.last_update_posted_date or not r.last_update_submitted_date:
        return f"Last Update Posted{space}: {_long_date(r.last_update_posted_date)}"
    return f"Last Updated{space}: {_long_date(r.last_update_submitted_date)}"


def _classic_ages(lo: str | None, hi: str | None) -> str:
    if lo and hi:
        return f"{lo} to {hi}"
    if lo:
        return f"{lo} and older"
    if hi:
        return f"up to {hi}"
    return ""


# ---------------------------------------------------------------- API v2 JSON

def _iso(value: date | None) -> dict | None:
    return {"date": value.isoformat()} if value else None


def api_v2(r: TrialRecord) -> dict:
    """The record as an API v2 study (`protocolSection` + `derivedSection`), only the keys it has values for."""
    def drop(node):
        if isinstance(node, dict):
            return {k: v for k, x in node.items() if (v := drop(x)) not in (None, "", [], {})}
        if isinstance(node, list):
            return [v for x in node if (v := drop(x)) not in (None, "", [], {})]
        return node

    org_ids = [i for i in r.identifiers if i.id_type == "ORG_STUDY_ID"]
    criteria = []
    headings = {None: None, "INCLUSION": "Inclusion Criteria:", "EXCLUSION": "Exclusion Criteria:"}
    for heading, items in _criteria_blocks(r, headings, lambda n, text: f"* {text}"):
        criteria += ([heading, ""] if heading else []) + [*items, ""]
    outcomes = {"PRIMARY": "primaryOutcomes", "SECONDARY": "secondaryOutcomes", "OTHER": "otherOutcomes"}
    study = {
        "protocolSection": {
            "identificationModule": {
                "nctId": r.trial_id,
                "orgStudyIdInfo": {"id": org_ids[0].id_value} if org_ids else None,
                "secondaryIdInfos": [{"id": i.id_value, "type": i.id_type} for i in r.identifiers
                                     if i.id_type not in ("ORG_STUDY_ID", "NCT_ALIAS")],
                "nctIdAliases": [i.id_value for i in r.identifiers if i.id_type == "NCT_ALIAS"],
                "briefTitle": r.brief_title, "officialTitle": r.official_title, "acronym": r.acronym,
            },
            "statusModule": {
                "overallStatus": r.overall_status, "lastKnownStatus": r.last_known_status,
                "startDateStruct": _iso(r.start_date), "primaryCompletionDateStruct": _iso(r.primary_completion_date),
                "completionDateStruct": _iso(r.completion_date), "studyFirstPostDateStruct": _iso(r.first_posted_date),
                "studyFirstSubmitDate": r.first_submitted_date and r.first_submitted_date.isoformat(),
                "lastUpdateSubmitDate": r.last_update_submitted_date and r.last_update_submitted_date.isoformat(),
                "lastUpdatePostDateStruct": _iso(r.last_update_posted_date),
            },
            "sponsorCollaboratorsModule": {
                "leadSponsor": {"name": r.lead_sponsor, "class": r.sponsor_class},
                "collaborators": [{"name": c} for c in r.collaborators],
            },
            "descriptionModule": {"briefSummary": r.brief_summary, "detailedDescription": r.detailed_description},
            "conditionsModule": {"conditions": r.conditions, "keywords": r.keywords},
            "designModule": {
                "studyType": r.study_type, "phases": r.phases,
                "designInfo": {
                    "allocation": r.allocation, "interventionModel": r.intervention_model,
                    "observationalModel": r.observational_model, "timePerspective": r.time_perspective,
                    "primaryPurpose": r.primary_purpose,
                    "maskingInfo": {"masking": r.masking, "whoMasked": r.who_masked},
                },
                "enrollmentInfo": {"count": r.enrollment, "type": r.enrollment_type},
            },
            "armsInterventionsModule": {
                "armGroups": [{"label": a.label, "type": a.arm_type, "description": a.description,
                               "interventionNames": a.intervention_names} for a in r.arm_groups],
                "interventions": [{"type": i.intervention_type, "name": i.name, "description": i.description,
                                   "armGroupLabels": i.arm_group_labels, "otherNames": i.other_names}
                                  for i in r.interventions],
            },
            "outcomesModule": {key: [{"measure": o.measure, "timeFrame": o.time_frame, "description": o.description}
                                     for o in r.outcomes if o.outcome_type == kind] for kind, key in outcomes.items()},
            "eligibilityModule": {
                "eligibilityCriteria": "\n".join(criteria).strip() or None,
                "healthyVolunteers": r.healthy_volunteers, "sex": r.sex,
                "minimumAge": r.minimum_age, "maximumAge": r.maximum_age,
            },
            "contactsLocationsModule": {
                "locations": [{"facility": x.facility, "city": x.city, "state": x.state, "zip": x.zip,
                               "country": x.country} for x in r.locations],
            },
        },
        "derivedSection": {
            "conditionBrowseModule": {"meshes": [{"term": m.term} for m in r.mesh_terms if m.kind == "CONDITION"]},
            "interventionBrowseModule": {"meshes": [{"term": m.term} for m in r.mesh_terms if m.kind == "INTERVENTION"]},
        },
        "hasResults": False,
    }
    return drop(study)


# ---------------------------------------------------------------- WHO ICTRP export XML

# How ICTRP writes a ClinicalTrials.gov record of the 2014 archive's time: its trials last refreshed in 2015
# (NCT00523276, NCT00533741, NCT01376765 in the real export) keep the registry's own study design sentence
# ("Masking: Double Blind (Subject, Investigator)") and say "Both" for all sexes.
_ICTRP_WORDS = {"ALL": "Both", "NA": "N/A", "NON_RANDOMIZED": "Non-Randomized", "NONE": "Open Label",
                "SINGLE": "Single Blind", "DOUBLE": "Double Blind", "TRIPLE": "Triple Blind",
                "QUADRUPLE": "Quadruple Blind", "PARTICIPANT": "Subject", "CARE_PROVIDER": "Caregiver",
                "ECT": "Educational/Counseling/Training", "FAMILY_BASED": "Family-Based",
                "CASE_CONTROL": "Case-Control", "CASE_ONLY": "Case-Only", "CASE_CROSSOVER": "Case-Crossover",
                "CROSS_SECTIONAL": "Cross-Sectional"}
_ICTRP_HEAD = "<?xml version='1.0' encoding='UTF-8' ?><Trials_downloaded_from_ICTRP>"
_ICTRP_TAIL = "\r\n</Trials_downloaded_from_ICTRP>"


def _ictrp_word(value: str | None) -> str:
    return _ICTRP_WORDS.get(value, display(value)) if value else ""


def _ictrp_design(r: TrialRecord) -> str:
    """The legacy record's study design sentence: "Allocation: Randomized, Intervention Model: …"."""
    roles = f" ({', '.join(_ictrp_word(w) for w in r.who_masked)})" if r.who_masked else ""
    masking = r.masking and _ictrp_word(r.masking) + roles
    parts = (("Allocation", _ictrp_word(r.allocation)),
             ("Intervention Model", r.intervention_model and f"{display(r.intervention_model)} Assignment"),
             ("Masking", masking), ("Primary Purpose", _ictrp_word(r.primary_purpose)),
             ("Observational Model", _ictrp_word(r.observational_model)),
             ("Time Perspective", _ictrp_word(r.time_perspective)))
    return ", ".join(f"{name}: {value}" for name, value in parts if value)


def _ictrp_criteria(r: TrialRecord) -> str:
    """The eligibility text block as ICTRP keeps it, both headings in one field, each line after "\\r<br>"."""
    headings = {None: None, "INCLUSION": "Inclusion Criteria:", "EXCLUSION": "Exclusion Criteria:"}
    entries = []
    for heading, items in _criteria_blocks(r, headings, lambda n, text: f"          -  {text}"):
        entries += ([f"        {heading}"] if heading else []) + items
    if not entries:
        return ""
    return "".join(f"\r<br>{line}" for line in "\n\n".join(entries).split("\n")) + "\r<br>      "


def ictrp_xml(r: TrialRecord) -> str:
    """One `<Trial>` of an ICTRP export, with the fields the record states (ICTRP's own, such as Export_date,
    Last_Refreshed_on or Retrospective_flag, are not the record's to give); many go into one file (ictrp_export)."""
    registered = r.first_submitted_date or r.registration_date
    phases = "/".join("N/A" if p == "NA" else _phase(p) for p in r.phases)
    fields = [
        ("TrialID", r.trial_id), ("Public_title", r.brief_title), ("Scientific_title", r.official_title or ""),
        ("Acronym", r.acronym or ""), ("Primary_sponsor", r.lead_sponsor),
        ("Date_registration", registered and f"{registered:%d/%m/%Y}"),
        ("Date_registration3", registered and f"{registered:%Y%m%d}"),
        ("Source_Register", "ClinicalTrials.gov"), ("web_address", f"http://clinicaltrials.gov/show/{r.trial_id}"),
        ("Recruitment_Status", r.overall_status and ("Recruiting" if r.overall_status == "RECRUITING" else "Not recruiting")),
        ("Inclusion_agemin", r.minimum_age or "N/A"), ("Inclusion_agemax", r.maximum_age or "N/A"),
        ("Inclusion_gender", _ictrp_word(r.sex)), ("Date_enrollement", _long_date(r.start_date)),
        ("Target_size", "" if r.enrollment is None else str(r.enrollment)), ("Study_type", display(r.study_type)),
        ("Study_design", _ictrp_design(r)), ("Phase", phases or None),
        ("Countries", ";".join(loc.country for loc in r.locations if loc.country) or None),
        ("Inclusion_Criteria", _ictrp_criteria(r)), ("Condition", ";".join(r.conditions)),
        ("Intervention", ";".join(f"{display(i.intervention_type)}: {i.name}" if i.intervention_type else i.name
                                  for i in r.interventions) or None),
        ("Primary_outcome", ";".join(o.measure for o in r.outcomes if o.outcome_type == "PRIMARY") or None),
    ]
    lines = [f"    <{name}>{escape(value)}</{name}>" if value else f"    <{name} />"
             for name, value in fields if value is not None]
    return "\r\n".join(["  <Trial>", *lines, "  </Trial>"])


def ictrp_export(trials: Iterable[str]) -> str:
    """One export file: the `<Trial>` elements of ictrp_xml under the export's root, lines ending
    in CR LF as the real export's do."""
    return _ICTRP_HEAD + "".join(f"\r\n{trial}" for trial in trials) + _ICTRP_TAIL
