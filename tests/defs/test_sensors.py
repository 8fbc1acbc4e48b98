"""The raw-folder sensor: a new, changed or deleted file requests one run; an unchanged folder none."""
import shutil

import dagster as dg

from pipeline.defs.resources import PipelineSettings
from pipeline.defs.sensors import raw_files_sensor
from tests.conftest import SEEDS, query, run_job


def _tick(raw, out, cursor=None):
    settings = PipelineSettings(raw_dir=str(raw), out_dir=str(out))
    context = dg.build_sensor_context(cursor=cursor, resources={"settings": settings})
    return raw_files_sensor(context)


def _requested(result) -> bool:
    if isinstance(result, dg.SkipReason):
        return False
    (request,) = result.run_requests
    assert request.run_key == result.cursor  # one run per state of the folder, never two for the same one
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


def test_the_run_after_a_deletion_removes_the_files_rows(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(SEEDS, raw)
    assert run_job(raw, out).success
    (raw / "000_a62e3166a47b076d.txt").unlink()
    assert run_job(raw, out).success
    assert query(out, "select trial_id from trials order by 1") == [("NCT01219465",), ("NCT01374854",)]
    assert query(out, "select count(*) from eligibility_criteria where trial_id = 'NCT02302599'") == [(0,)]
    assert query(out, "select count(*) from documents where doc_id = '000_a62e3166a47b076d.txt'") == [(0,)]
