"""The data dictionary: what every column of every published table and view means, and its AACT name.

One source for two readers: the warehouse build puts each description on its column (`COMMENT ON
COLUMN`, so `duckdb_columns()` and the `data_dictionary` view show it; DuckDB's `describe` does not)
and `python -m schemas.dictionary` writes docs/data_dictionary.md. A column without a description is an error (`comment_statements` raises),
so a new column cannot be published undocumented. AACT names (the registry's relational copy that
analysts know) are given where ours differ: `table.column`, or `column` when the table is the one named
beside our table.
"""
from __future__ import annotations

import sys
from pathlib import Path

from pipeline.generations import quoted
from schemas.tables import TABLES

DOC = Path(__file__).resolve().parents[1] / "docs" / "data_dictionary.md"
# Tables with a schema that publishing computes across documents (no doc_id column of their own)
PUBLISHED_ONLY = ("trial_versions", "trial_changes", "trial_field_conflicts", "trial_links", "trial_clusters",
                  "variables", "trial_history")
# Columns of the published trials that publishing adds to the schema's
TRIALS_COMPUTED = ["source_doc_ids", "prospectively_registered", "versions", "enrollment_planned",
                   "primary_outcomes_changed"]

# Columns several tables share; a table's own entry wins.
_COMMON = {
    "trial_id": ("The registry's id of the trial (NCT02302599, ChiCTR2000029953, …)", "nct_id"),
    "doc_id": ("The input document the row came from (documents.doc_id): the first document of the trial, in "
               "precedence order and not superseded, that has rows for this table", None),
    "group_code": ("The registry's code of the group (arm or comparison group) within its results table: FG000 "
                   "participant flow, BG000 baseline, OG000 outcome, EG000 adverse events; legacy XML's P1, B1, O1, "
                   "E1 are renumbered to these", "ctgov_group_code"),
}
_MEASUREMENT = {
    "title": ("The measure's title (Age, Continuous; Sex: Female, Male; …)", None),
    "units": ("Unit of measure as written", None),
    "param_type": ("What the value is: MEAN, MEDIAN, NUMBER, COUNT_OF_PARTICIPANTS, LEAST_SQUARES_MEAN, "
                   "GEOMETRIC_MEAN, … (API v2 enum)", None),
    "dispersion_type": ("What the dispersion is: STANDARD_DEVIATION, STANDARD_ERROR, CONFIDENCE_95, FULL_RANGE, "
                        "INTER_QUARTILE_RANGE, … (API v2 enum)", None),
    "class_title": ("The class (row group) of the table the value sits in, e.g. a subgroup or time point; null "
                    "when the measure has one unnamed class", "classification"),
    "category": ("The category within the class, e.g. Female / Male; null when the class has one unnamed "
                 "category", None),
    "value": ("The value as a number; null when the text is not one number (NA, prose)", "param_value_num"),
    "value_raw": ("The value as written (NA, <0.001, >99 kept)", "param_value"),
    "dispersion_value": ("The dispersion (spread) as a number", "dispersion_value_num"),
    "dispersion_value_raw": ("The dispersion as written", "dispersion_value"),
    "lower_limit": ("Lower limit of the range or interval (dispersion_type says which) as a number",
                    "dispersion_lower_limit"),
    "lower_limit_raw": ("Lower limit as written", None),
    "upper_limit": ("Upper limit of the range or interval as a number", "dispersion_upper_limit"),
    "upper_limit_raw": ("Upper limit as written", None),
    "comment": ("The registry's note on the value, e.g. why it is NA", "explanation_of_na"),
    "analyzed": ("Number analyzed in this group for this measure (the class's own count where the table gives "
                 "one, else the measure's; the first count when several units are counted)", "…_counts.count"),
    "analyzed_units": ("What was counted for `analyzed`: Participants, eyes, …", "…_counts.units"),
}
_DATE_TYPE = "ACTUAL or ESTIMATED (the legacy form's Anticipated); null where the record does not say"

# table → (description, AACT table or None, {column: (description, AACT column where it differs, or None)})
TABLES_DICTIONARY: dict[str, tuple[str, str | None, dict[str, tuple[str, str | None]]]] = {
    "documents": ("One row per input file or archive member seen, parsed or quarantined", None, {
        "doc_id": ("Id of the document: its path under the raw folder (archive!member for an archive member, "
                   "file#NCT… for one study of a multi-study JSON page)", None),
        "source_path": ("The file's path relative to the raw folder", None),
        "member": ("The member's path inside the archive; null for a plain file", None),
        "sha256": ("SHA-256 of the document's bytes", None),
        "n_bytes": ("Size of the document in bytes", None),
        "source_format": ("The layout recognised: veeva_text, ctgov_classic, ctgov_archive, ctgov_xml, "
                          "ctgov_api_v2_json; null when none was", None),
        "encoding": ("The text encoding the document was decoded with", None),
        "trial_id": ("The trial the document describes; null when it could not be read", "nct_id"),
        "status": ("parsed or quarantined", None),
        "error": ("Why the document was quarantined (null when parsed)", None),
    }),
    "trials": ("One row per trial, each field from the first document (in precedence order, not superseded) that "
               "states it",
               "studies", {
        "registry": ("The registry that issued trial_id", None),
        "brief_title": ("Short title", None),
        "official_title": ("Full scientific title", None),
        "acronym": ("The trial's acronym", None),
        "lead_sponsor": ("Name of the lead sponsor", "sponsors.name (lead_or_collaborator = 'lead')"),
        "sponsor_class": ("Class of the lead sponsor: NIH, FED, OTHER_GOV, INDIV, INDUSTRY, NETWORK, AMBIG, OTHER, "
                          "UNKNOWN", "sponsors.agency_class"),
        "overall_status": ("Recruitment status: RECRUITING, COMPLETED, TERMINATED, …", None),
        "last_known_status": ("Last status the sponsor reported before the record lapsed to UNKNOWN", None),
        "phases": ("Phases, ascending: NA, EARLY_PHASE1, PHASE1 … PHASE4 (NA: not applicable to an interventional "
                   "study; an observational study has none, unless its registry states one, as ICTRP's records of "
                   "ChiCTR and others do: ChiCTR's \"0\", Phase 0 for an interventional study, is none for an "
                   "observational one, kept in phases_raw)", "phase"),
        "study_type": ("INTERVENTIONAL, OBSERVATIONAL or EXPANDED_ACCESS", None),
        "enrollment": ("Number of participants, actual or planned (enrollment_type)", None),
        "enrollment_type": ("ACTUAL or ESTIMATED", None),
        "sex": ("Sexes eligible: ALL, FEMALE, MALE", "eligibilities.gender"),
        "minimum_age": ("Minimum age as the registry's form writes it, e.g. 20 Years", "eligibilities.minimum_age"),
        "maximum_age": ("Maximum age as written; none where ChiCTR's form (and ICTRP's export of it) holds \"0\", "
                        "its blank, and then a minimum of \"0\" beside it is none too", "eligibilities.maximum_age"),
        "minimum_age_years": ("Minimum age in years (months/12, weeks*7/365.25, days/365.25)",
                              "calculated_values.minimum_age_num"),
        "maximum_age_years": ("Maximum age in years", "calculated_values.maximum_age_num"),
        "healthy_volunteers": ("Whether healthy volunteers are accepted", "eligibilities.healthy_volunteers"),
        "allocation": ("RANDOMIZED, NON_RANDOMIZED or NA", "designs.allocation"),
        "intervention_model": ("SINGLE_GROUP, PARALLEL, CROSSOVER, FACTORIAL, SEQUENTIAL",
                               "designs.intervention_model"),
        "observational_model": ("Observational design: COHORT, CASE_CONTROL, …", "designs.observational_model"),
        "time_perspective": ("PROSPECTIVE, RETROSPECTIVE, CROSS_SECTIONAL, OTHER", "designs.time_perspective"),
        "masking": ("NONE, SINGLE, DOUBLE, TRIPLE, QUADRUPLE", "designs.masking"),
        "who_masked": ("Who is masked: PARTICIPANT, CARE_PROVIDER, INVESTIGATOR, OUTCOMES_ASSESSOR",
                       "designs.subject_masked, caregiver_masked, investigator_masked, outcomes_assessor_masked"),
        "primary_purpose": ("TREATMENT, PREVENTION, DIAGNOSTIC, …", "designs.primary_purpose"),
        "brief_summary": ("Brief summary, white space folded", "brief_summaries.description"),
        "detailed_description": ("Detailed description, white space folded", "detailed_descriptions.description"),
        "start_date": ("Date the trial started (a month-only date is the 1st)", None),
        "primary_completion_date": ("Date the last participant was examined for the primary outcome", None),
        "completion_date": ("Date the trial ended", None),
        "first_posted_date": ("Date the registry first posted the record", "study_first_posted_date"),
        "last_update_posted_date": ("Date the registry posted the record's last update; null where only the date it "
                                    "was submitted is stated (see last_update_submitted_date)", None),
        "registration_date": ("Date the registry first received or registered the trial: the earliest any of its "
                              "records states (ClinicalTrials.gov: the first submitted date, or the first posted date "
                              "where that is earlier: NIH records posted 1999-11-04 whose submission the registry "
                              "dates 2006 or 2007)", None),
        "overall_status_raw": ("The registry's own status word where it has no contract word of the same meaning "
                               "(overall_status is then null): Not Recruiting, Authorised, Ongoing, …", None),
        "study_type_raw": ("The registry's own study type where it has no contract word of the same meaning", None),
        "phases_raw": ("The registry's own phase words where they have no contract word of the same meaning", None),
        "enrollment_raw": ("An enrollment figure that counts no one, as written (all nines, 999 to 99999999, not "
                           "typed ACTUAL: NIH protocols' figure for no set number), or a target size that states no "
                           "one count (ChiCTR's \"Medical students group; Non-medical students group:1300;\"): "
                           "`enrollment` and its type are then null", None),
        "start_date_type": (f"Whether start_date is actual: {_DATE_TYPE}", None),
        "primary_completion_date_type": (f"Whether primary_completion_date is actual: {_DATE_TYPE}", None),
        "completion_date_type": (f"Whether completion_date is actual: {_DATE_TYPE}", None),
        "first_submitted_date": ("Date the sponsor first submitted the record", "study_first_submitted_date"),
        "last_update_submitted_date": ("Date the record's last update was submitted (the older schema's "
                                       "lastchanged_date)", "last_update_submitted_date"),
        "download_date": ("Date the registry produced the copy of the record the row comes from (\"processed this "
                          "data on\"; ICTRP's \"Last Refreshed on\"); of two copies of one version, the later ranks "
                          "first", None),
        "why_stopped": ("The sponsor's reason for stopping a terminated, suspended or withdrawn trial", None),
        "has_dmc": ("Whether a data monitoring committee oversees the trial", None),
        "number_of_arms": ("Number of arms as the legacy XML states it (API v2 does not; count arm_groups there)",
                           None),
        "responsible_party_type": ("SPONSOR, PRINCIPAL_INVESTIGATOR or SPONSOR_INVESTIGATOR",
                                   "responsible_parties.responsible_party_type"),
        "responsible_party_name": ("The investigator responsible (older records: the name and title written "
                                   "together)", "responsible_parties.name"),
        "responsible_party_title": ("The responsible investigator's title", "responsible_parties.title"),
        "responsible_party_affiliation": ("The responsible investigator's affiliation (older records: the "
                                          "organization)", "responsible_parties.affiliation"),
        "has_results": ("Whether the record carries posted results; null for page text that does not say (the older "
                        "results view's \"Results First Received\" says so)",
                        "calculated_values.were_results_reported"),
        "results_first_submitted_date": ("Date results were first submitted", None),
        "results_first_posted_date": ("Date results were first posted", None),
        "months_to_report_results": ("Months from primary completion to results first posted (days / 30.44, "
                                     "one decimal)", "calculated_values.months_to_report_results"),
        "actual_duration_months": ("Months from start to primary completion, where that completion is ACTUAL "
                                   "(days / 30.44, one decimal)", "calculated_values.actual_duration"),
        "source_doc_ids": ("Every document behind the row, in precedence order", None),
        "version_date": ("The date of the version the row's values come from (how current the row is)", None),
        "prospectively_registered": ("Registered on or before the start date; null when either is unknown", None),
        "versions": ("How many versions of the trial the inputs hold (trial_versions)", None),
        "enrollment_planned": ("The first ESTIMATED enrollment, by version: the planned size beside `enrollment`",
                               None),
        "primary_outcomes_changed": ("Whether the primary outcome measures of the first version with outcomes differ "
                                     "by name from the latest's; null with fewer than two such versions. A rewording "
                                     "counts: of 38 flagged trials labelled blind, 15 changed what they measure", None),
    }),
    "conditions": ("Conditions studied, one row each", None, {"condition": ("The condition as written", "name")}),
    "keywords": ("Keywords, one row each; also a registry's own classification of the conditions (ISRCTN's condition "
                 "category, ANZCTR's category - code, a bare ICD-10 code, the EU CTR's therapeutic area and MedDRA "
                 "terms)", None, {"keyword": ("The keyword as written", "name")}),
    "interventions": ("Interventions", None, {
        "intervention_type": ("DRUG, DEVICE, BIOLOGICAL, PROCEDURE, BEHAVIORAL, …", None),
        "name": ("Name of the intervention", None),
        "description": ("Description", None),
        "other_names": ("Other names of the intervention", "intervention_other_names.name"),
    }),
    "arm_groups": ("Arms (or groups) of the design", "design_groups", {
        "label": ("The arm's label", "title"),
        "arm_type": ("EXPERIMENTAL, ACTIVE_COMPARATOR, PLACEBO_COMPARATOR, SHAM_COMPARATOR, NO_INTERVENTION, OTHER",
                     "group_type"),
        "description": ("Description", None),
        "intervention_names": ("Names of the arm's interventions", "design_group_interventions"),
    }),
    "eligibility_criteria": ("Eligibility criteria, one row per criterion", "eligibilities.criteria (one text)", {
        "criterion_type": ("INCLUSION or EXCLUSION; null when no heading says which (a criterion before any "
                           "heading, or under one such as DISEASE CHARACTERISTICS or PRIOR CONCURRENT THERAPY in the "
                           "PDQ lists of older cancer trials: see section)", None),
        "ordinal": ("1-based position within its type", None),
        "text": ("One criterion, its list marker removed", None),
        "section": ("The heading(s) the criterion sits under, as written, outermost first (DISEASE CHARACTERISTICS: "
                    "…), then any criterion ending in a colon it is indented under (… documented by any of the "
                    "following:); null when none", None),
    }),
    "eligibility_thresholds": ("Numeric thresholds read from each criterion (README: Eligibility criteria as data)",
                               None, {
        "criterion_type": ("The criterion's type (joins to eligibility_criteria)", None),
        "criterion_ordinal": ("The criterion's ordinal (joins to eligibility_criteria.ordinal)", None),
        "variable": ("What is bounded: age, bmi, hba1c, serum_creatinine, …", None),
        "lower": ("Lower bound as written, in `unit`", None),
        "lower_inclusive": ("Whether the lower bound is included", None),
        "upper": ("Upper bound as written, in `unit`", None),
        "upper_inclusive": ("Whether the upper bound is included", None),
        "unit": ("Unit as written; null when none is", None),
        "eligible_lower": ("Lower end of the eligible range (an exclusion's complement, and that of a bound whose own "
                           "sentence rules a participant out: \"must not have\", \"will be excluded\", \"No … of "
                           "less than\", \"ineligible if\", a lead-in \"No …, including any of the following:\"; "
                           "the bound as stated where its sentence requires or allows it under an exclusion heading: "
                           "\"must be greater than\", \"may participate\", \"eligible if\")", None),
        "eligible_lower_inclusive": ("Whether eligible_lower is included", None),
        "eligible_upper": ("Upper end of the eligible range", None),
        "eligible_upper_inclusive": ("Whether eligible_upper is included", None),
        "canonical_unit": ("The variable's one canonical unit", None),
        "eligible_lower_canonical": ("eligible_lower in canonical_unit; null when not convertible", None),
        "eligible_upper_canonical": ("eligible_upper in canonical_unit", None),
        "sex": ("male or female for values that differ by sex, else null", None),
        "qualifiers": ("What changes the meaning: an inclusion's alternatives (or <variable>), time windows", None),
        "span": ("The words of the criterion the bound was read from, as written", None),
        "plausible": ("Whether the eligible range lies within the variable's plausible range (variables table); "
                      "null when there is nothing to judge (no canonical value, or a multiple of the ULN)", None),
    }),
    "outcomes": ("Registered outcome measures (the protocol's, not the results)", "design_outcomes", {
        "outcome_type": ("PRIMARY, SECONDARY or OTHER", None),
        "measure": ("The outcome measure", None),
        "time_frame": ("When it is measured", None),
        "description": ("Description", None),
    }),
    "identifiers": ("Other ids of the trial", "id_information", {
        "id_type": ("ORG_STUDY_ID, SECONDARY_ID, NCT_ALIAS, NIH, EUDRACT_NUMBER, EUCTR_MEMBER_STATE_RECORD, "
                    "ICTRP_ID (the id as ICTRP writes it where its registry writes it otherwise: "
                    "JPRN-UMIN000039686), …", "id_type"),
        "id_value": ("The id", "id_value"),
    }),
    "locations": ("Sites", "facilities", {
        "facility": ("Facility name", "name"), "city": ("City", None), "state": ("State or region", None),
        "zip": ("Postal code", None), "country": ("Country", None),
    }),
    "collaborators": ("Collaborating organisations", "sponsors (lead_or_collaborator = 'collaborator')", {
        "name": ("The collaborator's name", None),
    }),
    "mesh_terms": ("MeSH terms the registry derived for the conditions and interventions",
                   "browse_conditions, browse_interventions", {
        "term": ("MeSH term", "mesh_term"), "kind": ("CONDITION or INTERVENTION", None),
    }),
    "overall_officials": ("People responsible for the trial's scientific conduct", None, {
        "name": ("Name (with degrees) as written", None),
        "role": ("PRINCIPAL_INVESTIGATOR, STUDY_DIRECTOR or STUDY_CHAIR", None),
        "affiliation": ("Affiliation", None),
    }),
    "study_references": ("Publications the record cites", None, {
        "reference_type": ("BACKGROUND, RESULT (reports the trial's results) or DERIVED (linked by the registry "
                           "from PubMed; legacy XML writes these as plain references, so BACKGROUND there)", None),
        "pmid": ("PubMed id", None),
        "citation": ("Citation as written", None),
    }),
    "result_groups": ("The groups of each results table, as the registry lists them; outcome groups per outcome",
                      None, {
        "result_type": ("Which results table: PARTICIPANT_FLOW, BASELINE, OUTCOME, ADVERSE_EVENT", None),
        "outcome_ordinal": ("For OUTCOME groups, the outcome they belong to (outcome_measurements.outcome_ordinal)",
                            "outcome_id"),
        "title": ("The group's title", None),
        "description": ("The group's description", None),
        "serious_affected": ("ADVERSE_EVENT groups: participants with any serious adverse event",
                             "reported_event_totals.subjects_affected (Total, serious adverse events)"),
        "serious_at_risk": ("ADVERSE_EVENT groups: participants at risk of serious adverse events",
                            "reported_event_totals.subjects_at_risk"),
        "other_affected": ("ADVERSE_EVENT groups: participants with any other (non-serious) adverse event",
                           "reported_event_totals.subjects_affected (Total, other adverse events)"),
        "other_at_risk": ("ADVERSE_EVENT groups: participants at risk of other adverse events",
                          "reported_event_totals.subjects_at_risk"),
        "deaths_affected": ("ADVERSE_EVENT groups: deaths from any cause",
                            "reported_event_totals.subjects_affected (Total, all-cause mortality)"),
        "deaths_at_risk": ("ADVERSE_EVENT groups: participants at risk of death",
                           "reported_event_totals.subjects_at_risk"),
    }),
    "participant_flow": ("How many participants started, completed and left each period, per group",
                         "milestones, drop_withdrawals", {
        "period": ("The period (Overall Study, Period 1, …)", None),
        "kind": ("MILESTONE (STARTED, COMPLETED, NOT COMPLETED, …) or DROP_WITHDRAWAL (a reason for leaving)",
                 "the table: milestones or drop_withdrawals"),
        "label": ("The milestone or the reason as written", "milestones.title, drop_withdrawals.reason"),
        "count": ("Number of participants", None),
        "count_raw": ("The count as written", None),
    }),
    "baseline_measurements": ("The baseline characteristics table, one row per cell (measure, class, category, "
                              "group)", None, {
        "measure_ordinal": ("1-based position of the measure in the baseline table", None),
        **_MEASUREMENT,
        "analyzed": (_MEASUREMENT["analyzed"][0], "baseline_counts.count"),
        "analyzed_units": (_MEASUREMENT["analyzed_units"][0], "baseline_counts.units"),
    }),
    "outcome_measurements": ("The reported values of each outcome, one row per cell (outcome, class, category, "
                             "group)", None, {
        "outcome_ordinal": ("1-based position of the outcome among the reported outcomes (joins result_groups "
                            "and outcome_analyses)", "outcome_id"),
        "outcome_type": ("PRIMARY, SECONDARY or OTHER (pre-specified or post-hoc)", "outcomes.outcome_type"),
        "post_hoc": ("Whether the registry types the outcome post-hoc (an OTHER outcome not pre-specified: leave "
                     "these out to keep to the planned analyses); null where it gives no type", None),
        "time_frame": ("When the outcome was measured", "outcomes.time_frame"),
        **_MEASUREMENT,
        "title": ("The outcome's title", "outcomes.title"),
        "analyzed": (_MEASUREMENT["analyzed"][0], "outcome_counts.count"),
        "analyzed_units": (_MEASUREMENT["analyzed_units"][0], "outcome_counts.units"),
    }),
    "outcome_analyses": ("Statistical analyses of an outcome: which groups were compared, the estimate, its "
                         "confidence interval and p-value", None, {
        "outcome_ordinal": ("The outcome analysed (outcome_measurements.outcome_ordinal)", "outcome_id"),
        "outcome_type": ("PRIMARY, SECONDARY or OTHER", "outcomes.outcome_type"),
        "post_hoc": ("Whether the registry types the outcome post-hoc (outcome_measurements.post_hoc)", None),
        "title": ("The outcome's title", "outcomes.title"),
        "analysis_ordinal": ("1-based position of the analysis within its outcome", None),
        "group_codes": ("The groups compared (result_groups.group_code of the outcome)",
                        "outcome_analysis_groups.ctgov_group_code"),
        "groups_description": ("The registry's description of the comparison", None),
        "non_inferiority_type": (
            "SUPERIORITY, NON_INFERIORITY, EQUIVALENCE, OTHER, SUPERIORITY_OR_OTHER, …; the older records' yes/no: "
            "NON_INFERIORITY_OR_EQUIVALENCE_LEGACY, SUPERIORITY_OR_OTHER_LEGACY", None),
        "method": ("Statistical method as written (ANCOVA, Regression, Cox, …)", None),
        "p_value": ("The p-value as a number (the bound of <0.001)", None),
        "p_value_raw": ("The p-value as written (<0.001 keeps its comparator)", "p_value_modifier + p_value"),
        "p_value_modifier": ("The comparator the p-value is written with: <, <=, >, >= or =; null for a bare number "
                             "(\"> 0.05\" is p_value 0.05 with >)", "p_value_modifier"),
        "param_type": ("The estimate's kind as written (Odds Ratio (OR), Mean Difference (Final Values), …)", None),
        "param_value": ("The estimate as a number", None),
        "param_value_raw": ("The estimate as written", None),
        "dispersion_type": ("The estimate's dispersion kind (STANDARD_ERROR_OF_MEAN, …)", None),
        "dispersion_value": ("The estimate's dispersion as a number", None),
        "ci_percent": ("Confidence level of the interval, e.g. 95", None),
        "ci_n_sides": ("ONE_SIDED or TWO_SIDED", None),
        "ci_lower": ("Lower confidence limit as a number", "ci_lower_limit"),
        "ci_lower_raw": ("Lower confidence limit as written", None),
        "ci_upper": ("Upper confidence limit as a number", "ci_upper_limit"),
        "ci_upper_raw": ("Upper confidence limit as written", None),
        "estimate_description": ("The registry's comment on the estimate", None),
    }),
    "adverse_events": ("Adverse events per term and group (the per-group totals are in result_groups)",
                       "reported_events", {
        "event_type": ("SERIOUS or OTHER", None),
        "event_ordinal": ("1-based position of the event among the trial's events of its type (one term may be "
                          "listed twice, e.g. with two descriptions)", None),
        "organ_system": ("Organ system class as written", None),
        "term": ("The adverse event term", "adverse_event_term"),
        "subjects_affected": ("Participants with the event", None),
        "subjects_at_risk": ("Participants at risk", None),
        "events": ("Number of events (null where not reported)", "event_count"),
    }),
    "trial_sources": ("Every document behind each trial and which one ranks first", None, {
        "trial_id": _COMMON["trial_id"], "doc_id": ("One document of the trial", None),
        "source_format": ("The document's format", None),
        "version_date": ("The version the document describes (first key of the precedence)", None),
        "download_date": ("The day the registry produced the document's copy (a key of the precedence within a "
                          "version)", None),
        "chosen": ("Whether the document ranks first for its trial", None),
        "precedence": ("Rank of the document for its trial: 1 first", None),
        "superseded": ("Whether a newer version of the record replaces the document (a later version_date in its "
                       "format, or in a structured record): it gives trials and the child tables nothing, not even a "
                       "value the newer version leaves out", None),
    }),
    "trial_field_conflicts": ("Fields of trials on which documents of one version of a trial disagree (documents of "
                              "different dates are versions: their differences are trial_changes)", None, {
        "trial_id": _COMMON["trial_id"],
        "version_date": ("The version the documents describe", None),
        "field": ("The trials column", None),
        "values": ("Each value, as text, with the documents that state it: a list of {value, doc_ids}", None),
    }),
    "trial_versions": ("Every version of a trial the inputs hold: one row per (trial, version date, document)", None, {
        "trial_id": _COMMON["trial_id"],
        "version_date": ("The date the registry's record had this content: the Archive's version date, else the date "
                         "its last update was submitted, else posted; for a trial known only from ICTRP's exports, "
                         "the day ICTRP copied it (\"Last Refreshed on\")", None),
        "doc_id": ("A document of that version", None),
        "source_format": ("The document's format", None),
    }),
    "trial_changes": ("What changed between consecutive versions of a trial: fields of trials (CHANGED; REMOVED "
                      "where a newer version of the record leaves one out; ADDED where a version of the same "
                      "record format states one the version before did not) and items (ADDED, REMOVED, CHANGED: the "
                      "same identity with other details, or an item removed and one added in the same step that are "
                      "alike, see history.LIKENESS)",
                      None, {
        "trial_id": _COMMON["trial_id"],
        "field": ("A trials column, or an item kind: primary_outcome, secondary_outcome, condition, intervention, "
                  "arm_group, eligibility_criterion, location", None),
        "change": ("CHANGED, ADDED or REMOVED (new_value null for a field)", None),
        "old_value": ("The value or item before, as text", None),
        "new_value": ("The value or item after, as text", None),
        "from_date": ("The earlier version's date", None),
        "to_date": ("The later version's date", None),
        "formatting_only": ("True for a CHANGED row whose values differ only in letter case, runs of white space, a "
                            "typographic quote or dash, or the punctuation they end with (Adolescents with → "
                            "Adolescents With), never in a sign, digit or decimal point; and for a criterion ADDED or "
                            "REMOVED whose text the other version holds in the same role, run into or split from "
                            "another (the criteria cut otherwise): filter it out to see changes of content", None),
    }),
    "trial_links": ("Registrations of one study in several registries, linked by what the records state (ids, "
                    "titles); both directions", None, {
        "trial_id": _COMMON["trial_id"],
        "linked_trial_id": ("The other registration", None),
        "evidence": ("SECONDARY_ID (one lists the other's id), SAME_EUDRACT_NUMBER, or SAME_TITLE (two registries' "
                     "registrations go by one title of six words or more, case, accents, white space and punctuation "
                     "aside, or one lacking the other's last parenthesis or \" - \" part, which no other registration "
                     "of either registry the inputs hold goes by)", None),
        "doc_id": ("The document stating the evidence (for a shared EudraCT number or title, each registration's "
                   "in turn)", None),
    }),
    "trial_clusters": ("Every registration with the study it belongs to (connected registrations)", None, {
        "trial_id": _COMMON["trial_id"],
        "cluster_id": ("The registration standing for the study: ClinicalTrials.gov, else EU CTR, else ISRCTN, "
                       "else the earliest registered", None),
        "is_primary": ("Whether this registration is the cluster's", None),
    }),
    "variables": ("Each threshold variable with its synonyms, canonical unit (also as UCUM) and LOINC codes", None, {
        "variable": ("The variable's name in eligibility_thresholds", None),
        "synonyms": ("Words that name it in criteria text", None),
        "canonical_unit": ("The unit of eligible_*_canonical, as the thresholds write it", None),
        "canonical_unit_ucum": ("The same unit in UCUM", None),
        "loinc_codes": ("LOINC codes for a laboratory variable, the code of the canonical unit's kind (moles or mass "
                        "per volume) first; null where none is certain", None),
        "plausible_lower": ("Lowest plausible canonical value (below it a row is not plausible)", None),
        "plausible_upper": ("Highest plausible canonical value", None),
    }),
    "quarantine": ("View: the quarantined documents with their reasons", None, {
        "doc_id": ("The quarantined document", None),
        "source_path": ("Its path relative to the raw folder", None),
        "source_format": ("Its format, when recognised", None),
        "error": ("Why it was quarantined", None),
    }),
    "eligibility_conflicts": ("View: trials whose structured age limits disagree with their own criteria text",
                              None, {
        "trial_id": _COMMON["trial_id"],
        "field": ("minimum_age_years or maximum_age_years", None),
        "structured_value": ("The value in trials", None),
        "criteria_value": ("The bound in the criteria text, in years", None),
        "criterion_type": ("The criterion's type", None),
        "criterion_ordinal": ("The criterion's ordinal", None),
        "span": ("The criterion text that states the bound", None),
    }),
    "data_dictionary": ("View: this dictionary, from the warehouse's column comments (`describe` does not show "
                        "comments; `select * from data_dictionary where table_name = 'trials'` does)", None, {
        "table_name": ("The table or view", None),
        "column_name": ("The column", None),
        "data_type": ("Its DuckDB type", None),
        "description": ("What it holds, with its AACT name where that differs", None),
    }),
}


class UndocumentedColumn(KeyError):
    """A published column the dictionary has no description for."""


def description(table: str, column: str) -> tuple[str, str | None]:
    """(description, AACT name where it differs) of one column."""
    if table not in TABLES_DICTIONARY:
        raise UndocumentedColumn(f"data dictionary: no entry for table {table!r} (schemas/dictionary.py)")
    own = TABLES_DICTIONARY[table][2]
    if column in own:
        return own[column]
    if column in _COMMON:
        return _COMMON[column]
    raise UndocumentedColumn(f"data dictionary: no description for {table}.{column} (schemas/dictionary.py)")


def _with_aact(text: str, aact: str | None) -> str:
    return quoted(f"{text} (AACT: {aact})" if aact else text)


def comment_statements(table: str, columns: list[str]) -> list[str]:
    """COMMENT ON statements for a published view and each of its columns; raises on an undocumented column."""
    statements = [f'comment on column {table}."{column}" is {_with_aact(*description(table, column))}'
                  for column in columns]
    text, aact_table, _ = TABLES_DICTIONARY[table]
    return [f"comment on view {table} is {_with_aact(text, aact_table)}", *statements]


def published_columns(table: str) -> list[str]:
    """The columns a published table has: its schema's (record tables gain doc_id, trials source_doc_ids),
    else the dictionary's own list (tables and views publishing computes)."""
    if table not in TABLES:
        return list(TABLES_DICTIONARY[table][2])
    if table in PUBLISHED_ONLY:
        return list(TABLES[table])
    return [*TABLES[table], *({"documents": [], "trials": TRIALS_COMPUTED}.get(table, ["doc_id"]))]


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|")


def markdown() -> str:
    lines = ["# Data dictionary", "",
             "Generated by `python -m schemas.dictionary` from `schemas/dictionary.py`, the source the warehouse's "
             "column comments come from (`select * from data_dictionary` shows them; DuckDB's `describe` does not). AACT names are given where "
             "ours differ.", ""]
    for table, (text, aact_table, _) in TABLES_DICTIONARY.items():
        lines += [f"## {table}", "", text + "." + (f" AACT: `{aact_table}`." if aact_table else ""), "",
                  "| column | description | AACT |", "|---|---|---|"]
        for column in published_columns(table):
            text, aact = description(table, column)
            lines.append(f"| `{column}` | {_cell(text)} | {_cell(aact)} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    DOC.write_text(markdown(), encoding="utf-8")
    print(DOC, file=sys.stderr)
