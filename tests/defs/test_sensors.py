"""The raw-folder sensor: a new, changed or deleted file requests one run; an unchanged folder none."""
import hashlib
import shutil

import dagster as dg

from pipeline.defs.resources import PipelineSettings
from pipeline.defs.sensors import SENSED_TAG, raw_files_sensor
from tests.conftest import SEEDS, query, run_job


def _tick(raw, out, cursor=None):
    settings = PipelineSettings(raw_dir=str(raw), out_dir=str(out))
    context = dg.build_sensor_context(cursor=cursor, resources={"settings": settings})
    return raw_files_sensor(context)


def _requested(result) -> bool:
    if isinstance(result, dg.SkipReason):
        return False
    (request,) = result.run_requests
    assert request.tags[SENSED_TAG] == result.cursor  # the run stages the listing this tick made
    return True


def test_first_tick_requests_a_run_then_nothing(raw_seeds, tmp_path):
    first = _tick(raw_seeds, tmp_path / "out")
    assert _requested(first)
    assert not _requested(_tick(raw_seeds, tmp_path / "out", cursor=first.cursor))


def test_new_changed_and_deleted_files_each_request_a_run(raw_seeds, tmp_path):
    cursor = _tick(raw_seeds, tmp_path / "out").cursor

    (raw_seeds / "new_page.txt").write_text("anything", encoding="utf-8")
    new = _tick(raw_seeds, tmp_path / "out", cursor)
    assert _requested(new)

    target = raw_seeds / "003_e4d3ef1e73982f60.txt"
    target.write_text(target.read_text(encoding="utf-8").replace("50 estimated", "60 estimated"), encoding="utf-8")
    changed = _tick(raw_seeds, tmp_path / "out", new.cursor)
    assert _requested(changed)

    (raw_seeds / "000_a62e3166a47b076d.txt").unlink()
    deleted = _tick(raw_seeds, tmp_path / "out", changed.cursor)
    assert _requested(deleted)
    assert len({cursor, new.cursor, changed.cursor, deleted.cursor}) == 4


def test_touching_a_file_without_changing_content_requests_nothing(raw_seeds, tmp_path):
    cursor = _tick(raw_seeds, tmp_path / "out").cursor
    target = raw_seeds / "002_d4776af7e2f4cbf7.txt"
    target.write_bytes(target.read_bytes())  # new mtime, same bytes
    assert not _requested(_tick(raw_seeds, tmp_path / "out", cursor))


def test_a_folder_back_in_an_earlier_state_requests_a_run_dagster_will_launch(raw_seeds, tmp_path):
    """An edit undone must reach the warehouse: Dagster skips a request whose run key a run already had, so the
    requests of A -> B -> A -> B must not repeat a key (none is given: the cursor makes one request per change)."""
    target = raw_seeds / "003_e4d3ef1e73982f60.txt"
    original = target.read_text(encoding="utf-8")
    edited = original.replace("50 estimated", "60 estimated")
    results = [_tick(raw_seeds, tmp_path / "out")]
    for text in (edited, original, edited):
        target.write_text(text, encoding="utf-8")
        results.append(_tick(raw_seeds, tmp_path / "out", results[-1].cursor))
    assert all(_requested(r) for r in results)
    assert results[0].cursor == results[2].cursor and results[1].cursor == results[3].cursor
    keys = [r.run_requests[0].run_key for r in results if r.run_requests[0].run_key is not None]
    assert len(keys) == len(set(keys))


def _listed_by(result) -> str:
    return result.asset_materializations_for_node("staged_documents")[0].metadata["listed_by"].value


def test_a_requested_run_stages_the_ticks_listing_once_and_a_later_change_reaches_the_next_run(tmp_path):
    """The run a tick requests takes the manifest the tick staged (not listing the folder again) and publishes what a
    run that lists does; the listing is taken once (a re-executed run lists for itself); a file changed after the
    tick is parsed as it reads when the run gets to it (its trial never leaves the tables), and the next tick's run
    finds nothing more to do."""
    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(SEEDS, raw)
    first = _tick(raw, out)
    assert _requested(first)
    sensed = PipelineSettings(raw_dir=str(raw), out_dir=str(out)).layout.sensed_manifest(first.cursor)
    assert sensed.exists()
    target = raw / "003_e4d3ef1e73982f60.txt"
    target.write_text(target.read_text(encoding="utf-8").replace("50 estimated", "60 estimated"),
                      encoding="utf-8")  # after the tick, before its run
    result = run_job(raw, out, tags=first.run_requests[0].tags)
    assert result.success and _listed_by(result) == "sensor tick"
    assert not sensed.exists()
    # the tick listed the file's earlier content: the parse step finds it changed, and parses what it holds now
    sha256 = hashlib.sha256(target.read_bytes()).hexdigest()
    assert query(out, "select status, error, sha256 from documents where doc_id = '003_e4d3ef1e73982f60.txt'") == [
        ("parsed", None, sha256)]
    assert query(out, "select count(*) from trials") == [(3,)]
    assert query(out, "select enrollment from trials where trial_id = 'NCT01219465'") == [(60,)]

    second = _tick(raw, out, first.cursor)
    assert _requested(second)  # the folder differs from what the first tick saw
    result = run_job(raw, out, tags=second.run_requests[0].tags)
    assert result.success and _listed_by(result) == "sensor tick"
    assert result.asset_materializations_for_node("parsed_records")[0].metadata["documents_parsed"].value == 0
    assert query(out, "select enrollment from trials where trial_id = 'NCT01219465'") == [(60,)]
    again = run_job(raw, out, tags=second.run_requests[0].tags)  # a re-execution keeps the tags
    assert again.success and _listed_by(again) == "this run"

    assert run_job(raw, tmp_path / "listed").success
    for table in ("trials", "documents", "eligibility_criteria"):
        sql = f"select * exclude (doc_id) from {table} order by all" if table == "documents" else \
            f"select * from {table} order by all"
        assert query(out, sql) == query(tmp_path / "listed", sql), table


def test_the_ticks_manifest_is_the_one_a_run_stages_itself_and_no_run_of_another_raw_folder_takes_it(tmp_path):
    """What a tick stages is byte for byte what the run would have staged (an unchanged rerun compares manifests by
    their bytes), and a run pointed at another raw folder lists its own folder and leaves no staged tick behind."""
    raw, other, out = tmp_path / "raw", tmp_path / "other", tmp_path / "out"
    shutil.copytree(SEEDS, raw)
    shutil.copytree(SEEDS, other)
    (other / "000_a62e3166a47b076d.txt").unlink()
    layout = PipelineSettings(raw_dir=str(raw), out_dir=str(out)).layout
    tick = _tick(raw, out)
    ticked = layout.sensed_manifest(tick.cursor).read_bytes()
    assert run_job(raw, out).success  # lists for itself: the tick's manifest waits
    assert layout.staged_manifest.read_bytes() == ticked

    result = run_job(other, out, tags=tick.run_requests[0].tags)
    assert result.success and _listed_by(result) == "this run"
    assert not layout.sensed_manifest(tick.cursor).exists() and not any(layout.sensed_manifest("x").parent.iterdir())
    assert query(out, "select count(*) from documents") == [(len(list(other.iterdir())),)]


def test_the_run_after_a_deletion_removes_the_files_rows(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(SEEDS, raw)
    assert run_job(raw, out).success
    (raw / "000_a62e3166a47b076d.txt").unlink()
    assert run_job(raw, out).success
    assert query(out, "select trial_id from trials order by 1") == [("NCT01219465",), ("NCT01374854",)]
    assert query(out, "select count(*) from eligibility_criteria where trial_id = 'NCT02302599'") == [(0,)]
    assert query(out, "select count(*) from documents where doc_id = '000_a62e3166a47b076d.txt'") == [(0,)]
