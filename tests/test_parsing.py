"""Parse stage: records → rows, and the per-document pandera gate that quarantines bad rows."""
from dataclasses import replace
from datetime import date

from pipeline.parsing import _Batch, explode, validate
from pipeline.record import Criterion, TrialRecord

STAGED = {"source_path": "x.txt", "member": None, "sha256": "0" * 64, "n_bytes": 10, "source_format": "veeva_text",
          "encoding": "utf-8"}


def _batch(*records: TrialRecord):
    batch = _Batch()
    for i, record in enumerate(records):
        doc_id = f"doc{i}"
        batch.add_document(STAGED, doc_id, record.trial_id, None)
        batch.add_rows(doc_id, explode(record))
    return validate(batch.frames())


def test_explode_computes_years_and_drops_exact_repeats():
    record = TrialRecord("NCT02302599", minimum_age="6 Months", maximum_age="65 Years",
                         conditions=["Type 2 Diabetes", "Type 2 Diabetes", "Obesity"])
    rows = explode(record)
    trial = dict(zip(["trial_id", "registry"], rows["trials"][0][:2]))
    assert trial == {"trial_id": "NCT02302599", "registry": "CTGOV"}
    assert rows["trials"][0][16:18] == (0.5, 65.0)
    assert rows["conditions"] == [("NCT02302599", "Type 2 Diabetes"), ("NCT02302599", "Obesity")]


def test_an_observational_study_has_no_phase_and_an_interventional_one_keeps_not_applicable():
    """NCT01073436 (legacy XML, observational) says <phase>N/A</phase>, as 795 records of 2014 do whose 2023 versions
    and the API leave the phase out: its trials row has none, so the versions do not differ by it (trial_changes held
    a REMOVED phase for each). NCT00055081, interventional, keeps its N/A as NA."""
    from pathlib import Path

    from pipeline.sources import ctgov_xml
    from tests.conftest import CORPUS

    phases = {}
    for trial_id in ("NCT01073436", "NCT00055081"):
        (record,) = ctgov_xml.parse(Path(CORPUS / "ctgov_xml" / f"{trial_id}.xml").read_text(encoding="utf-8"))
        assert record.phases == ["NA"]
        phases[trial_id] = dict(zip(("study_type", "phases"), _batch(record)["trials"].select(
            "study_type", "phases").row(0)))
    assert phases == {"NCT01073436": {"study_type": "OBSERVATIONAL", "phases": None},
                      "NCT00055081": {"study_type": "INTERVENTIONAL", "phases": ["NA"]}}


def test_a_document_with_bad_rows_is_quarantined_with_the_failures_and_others_land():
    good = TrialRecord("NCT02302599", overall_status="COMPLETED", phases=["PHASE2"],
                       eligibility_criteria=[Criterion("INCLUSION", 1, "Age 20 to 65")])
    bad = TrialRecord("NCT01374854", overall_status="SORT_OF_RECRUITING", minimum_age="40 Years",
                      maximum_age="18 Years", start_date=date(1850, 1, 1),
                      eligibility_criteria=[Criterion("INCLUSION", 1, "Adults")])
    frames = _batch(good, bad)
    docs = {row["doc_id"]: row for row in frames["documents"].iter_rows(named=True)}
    assert docs["doc0"]["status"] == "parsed" and docs["doc0"]["error"] is None
    assert docs["doc1"]["status"] == "quarantined"
    error = docs["doc1"]["error"]
    assert error.startswith("schema: ")
    assert "trials.overall_status isin" in error and "'SORT_OF_RECRUITING'" in error
    assert "minimum_age_le_maximum_age" in error
    assert "trials.start_date in_range(1900-01-01, 2100-12-31)" in error
    assert frames["trials"]["trial_id"].to_list() == ["NCT02302599"]
    assert frames["eligibility_criteria"]["doc_id"].to_list() == ["doc0"]


def test_bad_trial_id_and_negative_enrollment_are_caught():
    frames = _batch(TrialRecord("not an id!", enrollment=-3))
    (error,) = frames["documents"]["error"].to_list()
    assert "trials.trial_id str_matches" in error
    assert "trials.enrollment greater_than_or_equal_to(0)" in error


def test_a_number_that_is_not_finite_is_caught():
    """Infinity and NaN are no value a registry states (a threshold of 400 nines once read as inf and landed): any
    float column holding one quarantines its document, whichever reader let it through."""
    from pipeline.record import Measurement
    good = TrialRecord("NCT02302599",
                       baseline_measurements=[Measurement("Age", "BG000", value=51.5, measure_ordinal=1)])
    bad = TrialRecord("NCT01374854", baseline_measurements=[
        Measurement("Age", "BG000", value=float("inf"), measure_ordinal=1),
        Measurement("Weight", "BG000", value=float("nan"), measure_ordinal=2)])
    frames = _batch(good, bad)
    assert frames["documents"]["status"].to_list() == ["parsed", "quarantined"]
    error = frames["documents"]["error"][1]
    assert error == "schema: baseline_measurements.value finite: 'inf'; baseline_measurements.value finite: 'NaN'"
    assert frames["baseline_measurements"]["value"].to_list() == [51.5]


def test_a_value_its_column_cannot_hold_quarantines_its_document_not_the_batch():
    """A reader's value of the wrong type (here an enrollment left as the words "1,600") made polars refuse the batch's
    table, and the run failed: now that document is quarantined with the table and polars' words, the others land."""
    good = TrialRecord("NCT02302599", enrollment=103, keywords=["diabetes"])
    bad = TrialRecord("NCT01374854", enrollment="1,600", keywords=["stem cells"])
    frames = _batch(good, bad)
    assert frames["documents"].select("doc_id", "status", "trial_id").rows() == [
        ("doc0", "parsed", "NCT02302599"), ("doc1", "quarantined", None)]
    assert frames["documents"]["error"][1] == ('veeva_text: rows failed: trials: a value its columns cannot hold: '
                                               'could not append value: "1,600" of type: str to the builder')
    assert frames["trials"].select("trial_id", "enrollment").rows() == [("NCT02302599", 103)]
    assert frames["keywords"].rows() == [("NCT02302599", "diabetes", "doc0")]


def _ictrp_export(*trial_ids: str) -> str:
    """An ICTRP CSV export of EU CTR member-state records, one row per id."""
    row = ('"{id}","11 March 2020","A title","A title","","Sponsor","13/07/2015","20150713","","EU Clinical Trials '
           'Register","","Authorised"\n')
    return ("TrialID,Last Refreshed on,Public title,Scientific title,Acronym,Primary sponsor,Date registration,"
            "Date registration3,Export date,Source Register,web address,Recruitment Status\n"
            + "".join(row.format(id=trial_id) for trial_id in trial_ids))


def test_two_records_of_one_trial_in_one_export_are_two_documents():
    """ICTRP lists each EU CTR member-state record of a trial: two rows, one trial id, both parsed."""
    from pipeline.parsing import parse_document

    text = _ictrp_export("EUCTR2015-002340-14-NL", "EUCTR2015-002340-14-DE")
    batch = _Batch()
    parse_document({**STAGED, "source_format": "ictrp_csv", "doc_id": "export.csv", "error": None, "text": text}, batch)
    frames = validate(batch.frames())
    assert [(r["doc_id"], r["trial_id"], r["status"]) for r in frames["documents"].iter_rows(named=True)] == [
        ("export.csv#EUCTR2015-002340-14", "EUCTR2015-002340-14", "parsed"),
        ("export.csv#EUCTR2015-002340-14#2", "EUCTR2015-002340-14", "parsed")]
    assert sorted(frames["identifiers"]["id_value"]) == [
        "2015-002340-14", "2015-002340-14", "EUCTR2015-002340-14-DE", "EUCTR2015-002340-14-NL"]


def test_a_record_whose_rows_fail_is_quarantined_with_the_reason_and_the_others_land(monkeypatch):
    """A bug in making a record's rows (explode: criteria, thresholds) quarantines that record's document, saying
    why, as a reader's bug does; it does not fail the batch, and the export's other records land."""
    from pipeline import parsing

    def explode_or_fail(record):
        if record.trial_id == "EUCTR2015-002340-14":
            raise KeyError("ſix")
        return explode(record)

    monkeypatch.setattr(parsing, "explode", explode_or_fail)
    text = _ictrp_export("EUCTR2015-002340-14-NL", "EUCTR2016-000001-11-DE")
    batch = _Batch()
    parsing.parse_document({**STAGED, "source_format": "ictrp_csv", "doc_id": "export.csv", "error": None,
                            "text": text}, batch)
    frames = validate(batch.frames())
    documents = frames["documents"].iter_rows(named=True)
    assert [(r["doc_id"], r["trial_id"], r["status"], r["error"]) for r in documents] == [
        ("export.csv#EUCTR2015-002340-14", None, "quarantined", "ictrp_csv: rows failed: KeyError: 'ſix'"),
        ("export.csv#EUCTR2016-000001-11", "EUCTR2016-000001-11", "parsed", None)]
    assert frames["trials"]["trial_id"].to_list() == ["EUCTR2016-000001-11"]


def test_a_criterion_whose_letters_re_reads_as_ascii_ones_is_extracted_and_the_run_goes_on(tmp_path):
    """"ſix months" (a long s) matched the word-number pattern, whose IGNORECASE takes ſ for s, and was then looked up
    as written: KeyError, and the whole run failed on one criterion of one real record. Now its thresholds are read."""
    import shutil

    from tests.conftest import CORPUS, query, run_job

    raw = tmp_path / "raw"
    raw.mkdir()
    source = CORPUS / "ctgov_xml" / "NCT00001177.xml"
    text = source.read_text(encoding="utf-8")
    at = text.index("<textblock>", text.index("<criteria>")) + len("<textblock>")
    criterion = "\n  Inclusion Criteria:\n  - HbA1c ≥ 7 % for ſix months\n"
    (raw / source.name).write_text(text[:at] + criterion + text[at:], encoding="utf-8")
    shutil.copy(CORPUS / "ctgov_xml" / "NCT00001289.xml", raw)
    assert run_job(raw, tmp_path / "out").success
    assert query(tmp_path / "out", "select status, count(*) from documents group by all") == [("parsed", 2)]
    assert query(tmp_path / "out", """select variable, eligible_lower, eligible_lower_inclusive, unit
                                      from eligibility_thresholds where trial_id = 'NCT00001177'
                                        and criterion_type = 'INCLUSION' and criterion_ordinal = 1""") == [
        ("hba1c", 7.0, True, "%")]


def test_a_number_past_a_64_bit_integer_is_no_count_and_never_fails_the_run(tmp_path):
    """"1030000000000000000000000 patients" on a Veeva page (seed 000's "103 patients" so edited) failed the whole
    parse step: polars could not put it in the batch's Int64 column. A reader reads it as no count (enrollment and its
    type null); a record whose rows still hold one (legacy XML's enrollment, read as a number) is quarantined with the
    reason, and the other documents land."""
    from tests.conftest import CORPUS, SEEDS, query, run_job

    raw = tmp_path / "raw"
    raw.mkdir()
    seed = next(SEEDS.glob("000_*"))
    (raw / seed.name).write_text(seed.read_text(encoding="utf-8").replace(
        "\n103 patients\n", "\n1030000000000000000000000 patients\n"), encoding="utf-8")
    xml = (CORPUS / "ctgov_xml" / "NCT00001177.xml").read_text(encoding="utf-8")
    (raw / "NCT00001177.xml").write_text(xml.replace(">1600</enrollment>", ">1600000000000000000000000</enrollment>"),
                                         encoding="utf-8")
    (raw / "NCT00001289.xml").write_text((CORPUS / "ctgov_xml" / "NCT00001289.xml").read_text(encoding="utf-8"),
                                         encoding="utf-8")
    assert run_job(raw, tmp_path / "out").success
    assert query(tmp_path / "out", "select trial_id, enrollment, enrollment_type from trials order by 1") == [
        ("NCT00001289", 70, None), ("NCT02302599", None, None)]
    assert query(tmp_path / "out", "select doc_id, error from quarantine") == [
        ("NCT00001177.xml", "ctgov_xml: <enrollment> of 25 digits (16000000000000000000…): no count a registry holds")]


def test_real_records_spelt_with_letters_re_reads_as_ascii_ones_parse_and_make_rows():
    """The corpus's 165 legacy XML records with s, i, k, I and K in every text node swapped for ſ, ı, the Kelvin sign
    and İ (letters re's IGNORECASE takes for ASCII ones): each is read and its rows made without an error. Before
    `thresholds._as_listed`, 102 of them raised KeyError ("ſıx", "at leaſt"), and so did 5,677 of the 2014 archive's
    8,125 records."""
    from lxml import etree

    from pipeline import sources
    from tests.conftest import CORPUS, SPELT_AS_RE_FOLDS

    reader, records = sources.reader_for("ctgov_xml"), 0
    for path in sorted((CORPUS / "ctgov_xml").glob("*.xml")):
        root = etree.fromstring(path.read_bytes())
        for element in root.iter():
            element.text, element.tail = (t and t.translate(SPELT_AS_RE_FOLDS) for t in (element.text, element.tail))
        for record in sources.parse(reader, etree.tostring(root, encoding="unicode"), path.name):
            explode(record)
            records += 1
    assert records == 165


def _ictrp_exports_task(tmp_path, monkeypatch):
    """A task of two real ICTRP exports (578 trials as XML, 927 as CSV), batches of 500 records."""
    import hashlib
    import shutil

    from pipeline import parsing
    from pipeline.staging import StagingLimits
    from tests.conftest import CORPUS

    monkeypatch.setattr(parsing, "BATCH_SIZE", 500)
    raw = tmp_path / "raw"
    raw.mkdir()
    files = []
    for name in ("ICTRP-Results_18Mar2020.xml", "COVID19-927-trials_7Apr2020.csv"):
        shutil.copy(CORPUS / "ictrp" / name, raw / name)
        data = (raw / name).read_bytes()
        files.append((name, None, hashlib.sha256(data).hexdigest(), len(data)))
    return parsing.Task(str(raw), str(tmp_path / "incoming"), str(tmp_path / "listings"), "v1", StagingLimits(),
                        files=tuple(files), name="run-0")


def _segments(folder):
    return sorted(folder.iterdir(), key=lambda s: s.stat().st_mtime_ns)


def test_a_task_of_multi_record_exports_writes_a_segment_each_time_its_batch_reaches_batch_size_records(
        tmp_path, monkeypatch):
    """The batch is counted in records, not documents: two real ICTRP exports (578 trials as XML, 927 as CSV) with
    BATCH_SIZE 500 are two segments, each written as its export's records reached 500 (counted by documents, both
    would wait for 500 files)."""
    import pyarrow.parquet as pq

    from pipeline import parsing

    summary, listing = parsing.run_task(_ictrp_exports_task(tmp_path, monkeypatch))
    assert listing is None  # both read as staged
    sizes = [pq.read_metadata(s / f"{parsing.CONTENTS}.parquet").num_rows for s in _segments(tmp_path / "incoming")]
    assert sizes == [578, 927] and summary.documents == 578 + 927


def test_a_task_attempted_again_parses_only_what_its_attempt_before_did_not_write(tmp_path, monkeypatch):
    """A task run again (its worker died, an executor retried it) takes the segments an attempt of the same task wrote
    as parsed, and counts them: here the attempt before wrote the ICTRP XML export's segment (578 trials) and died in
    the CSV's (927), so the CSV alone is parsed again, and the summary is the whole task's, as one attempt's was."""
    import shutil

    import pyarrow.parquet as pq

    from pipeline import parsing

    task = _ictrp_exports_task(tmp_path, monkeypatch)
    incoming = tmp_path / "incoming"
    whole, _ = parsing.run_task(task)
    xml, csv = _segments(incoming)
    shutil.rmtree(csv)  # the attempt died before writing it
    again, _ = parsing.run_task(task)
    assert again == whole and whole.documents == 578 + 927 and whole.rows["eligibility_criteria"] > 0
    written = _segments(incoming)
    assert written[0] == xml and len(written) == 2
    assert pq.read_table(written[1] / f"{parsing.CONTENTS}.parquet")["sha256"].unique().to_pylist() == [
        task.files[1][2]]
    # another task of the run (another name) takes nothing from them
    other, _ = parsing.run_task(replace(task, name="run-1", files=task.files[:1]))
    assert other.documents == 578 and len(list(incoming.iterdir())) == 3


def test_new_files_are_cut_into_tasks_by_count_and_by_bytes(monkeypatch):
    from pipeline import scheduling

    monkeypatch.setattr(scheduling, "FILES_PER_TASK", 4)
    monkeypatch.setattr(scheduling, "TASK_BYTES", (50, 100))
    monkeypatch.setattr(scheduling, "TASKS_PER_WORKER", 1)
    files = [(f"f{i}", None, str(i), size) for i, size in enumerate([10, 10, 10, 10, 60, 25, 200, 5])]

    def shares(workers):
        return [[rel for rel, *_ in share] for share in scheduling._shares(files, workers)]

    # 330 bytes for one worker: tasks of up to 100 bytes. Four small files fill a task by count; 60 + 25 + 200
    # passes 100 bytes; a file larger than a task is one alone
    assert shares(1) == [["f0", "f1", "f2", "f3"], ["f4", "f5"], ["f6"], ["f7"]]
    # five workers: 66 bytes a task (330 / 5), so that each has a share
    assert shares(5) == [["f0", "f1", "f2", "f3"], ["f4"], ["f5"], ["f6"], ["f7"]]
    # a hundred: never less than 50 bytes a task (3 would make each file a task)
    assert shares(100) == shares(5)


def test_an_enrollment_of_nines_is_no_count_and_keeps_its_figure():
    """NIH institutes' protocols without a set number wrote all nines as their enrollment: 99999999 (NCT00012545, cord
    blood collection, "Anticipated"), 9999999 (NCT00027196, untyped), 99999 (NCT00001194), down to 999 (NCT00001601):
    48 records of the 2014 archive. Summed as counts, five of them would outweigh every other trial of the corpus, so
    the enrollment is null (with its type) and enrollment_raw keeps the figure; NCT00000188's 50 is a count."""
    import tarfile

    from pipeline.sources import ctgov_xml
    from tests.conftest import CORPUS

    wanted = {f"ctgov_legacy_xml_2014/{t}.xml" for t in ("NCT00012545", "NCT00027196", "NCT00001194", "NCT00001601",
                                                          "NCT00000188")}
    rows = {}
    with tarfile.open(CORPUS / "ctgov_legacy_xml_2014.tar.xz", "r|xz") as archive:
        for member in archive:
            if member.name in wanted:
                (record,) = ctgov_xml.parse(archive.extractfile(member).read().decode("utf-8"))
                rows[record.trial_id] = _batch(record)["trials"].select(
                    "enrollment", "enrollment_type", "enrollment_raw").row(0)
    assert rows == {"NCT00012545": (None, None, "99999999"), "NCT00027196": (None, None, "9999999"),
                    "NCT00001194": (None, None, "99999"), "NCT00001601": (None, None, "999"),
                    "NCT00000188": (50, "ACTUAL", None)}
    # people enrolled are counted as stated, however many nines
    enrolled = _batch(TrialRecord("NCT00000188", enrollment=999, enrollment_type="ACTUAL"))["trials"]
    assert enrolled.select("enrollment", "enrollment_type", "enrollment_raw").row(0) == (999, "ACTUAL", None)


def _record_with_criteria(lines: int) -> str:
    """NCT01219465's legacy XML (../shared/corpus) with `lines` inclusion criteria of its own kind, each distinct:
    1.2 MB and 3.7 s to parse at 20,000 lines (40,000 thresholds), a record no probe has made hang but slow enough
    to stand for one."""
    import re

    from tests.conftest import CORPUS

    xml = (CORPUS / "ctgov_xml" / "NCT01219465.xml").read_text(encoding="utf-8")
    criteria = "".join(f"\n - HbA1c &gt;= {i}.5% and platelets &gt; {i} x 10^9/L" for i in range(lines))
    return re.sub(r"(<criteria>\s*<textblock>)", lambda m: m.group(1) + " Inclusion Criteria:" + criteria, xml, count=1)


def test_a_document_parsing_past_its_time_limit_is_quarantined_and_the_next_one_parses():
    """max_parse_seconds stops a document's reader and its rows, wherever they are, and names the limit; the alarm is
    disarmed, so the next document parses in full."""
    import signal

    from pipeline import parsing
    from tests.conftest import CORPUS

    record = (CORPUS / "ctgov_xml" / "NCT01374854.xml").read_text(encoding="utf-8")
    staged = {**STAGED, "source_format": "ctgov_xml", "doc_id": "NCT01374854.xml", "error": None, "text": record}
    parsing.parse_document(staged, _Batch())  # what a process loads on its first record (pint's units), loaded
    batch = _Batch()
    parsing.parse_document({**staged, "doc_id": "slow.xml", "text": _record_with_criteria(20_000)}, batch,
                           max_seconds=0.5)
    parsing.parse_document(staged, batch, max_seconds=0.5)
    frames = validate(batch.frames())
    documents = frames["documents"].iter_rows(named=True)
    assert [(r["doc_id"], r["trial_id"], r["status"], r["error"]) for r in documents] == [
        ("slow.xml", None, "quarantined",
         "ctgov_xml: parsing took more than 0.5 s of CPU time: stopped (max_parse_seconds)"),
        ("NCT01374854.xml", "NCT01374854", "parsed", None)]
    assert frames["trials"]["trial_id"].to_list() == ["NCT01374854"]
    assert signal.getitimer(signal.ITIMER_VIRTUAL) == (0.0, 0.0) and not parsing._Alarm.armed


def test_the_time_limit_is_a_setting_of_the_job_and_a_slow_record_within_it_parses(tmp_path):
    """Through the job (the settings resource's max_parse_seconds): a record of 40,000 criteria (7 s here) is stopped
    under a limit of 2 s, beside a record that lands; under the default limit (120 s) a record of 2,000 such lines
    parses, every threshold of it read. A limit that is no positive number of seconds is refused, as is a size limit
    that is no positive whole number (True is no number here, though Python counts it as 1)."""
    import pytest

    from pipeline.staging import StagingLimits
    from tests.conftest import CORPUS, query, run_job

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "slow.xml").write_text(_record_with_criteria(40_000), encoding="utf-8")
    (raw / "NCT01374854.xml").write_bytes((CORPUS / "ctgov_xml" / "NCT01374854.xml").read_bytes())
    assert run_job(raw, tmp_path / "out", max_parse_seconds=2).success
    assert query(tmp_path / "out", "select source_path, trial_id, status, error from documents order by 1") == [
        ("NCT01374854.xml", "NCT01374854", "parsed", None),
        ("slow.xml", None, "quarantined",
         "ctgov_xml: parsing took more than 2 s of CPU time: stopped (max_parse_seconds)")]
    (raw / "slow.xml").write_text(_record_with_criteria(2_000), encoding="utf-8")
    assert run_job(raw, tmp_path / "out").success
    assert query(tmp_path / "out", "select count(*) from eligibility_thresholds where trial_id = 'NCT01219465'"
                 ) == [(4_000 + 2,)]
    for wrong in (0, -1, float("inf"), float("nan"), True, "5"):
        with pytest.raises(ValueError, match="max_parse_seconds: .* is not a positive number of seconds"):
            StagingLimits(max_parse_seconds=wrong)
    for name in ("max_document_bytes", "max_archive_bytes", "max_compression_ratio"):
        for wrong in (0, -1, 1.5, True):
            with pytest.raises(ValueError, match=f"^{name}: {wrong!r} is not a positive whole number$"):
                StagingLimits(**{name: wrong})
    assert StagingLimits(max_parse_seconds=3).hang_seconds == 6
