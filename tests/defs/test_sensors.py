"""The raw-folder sensor: new, changed and deleted files request a run of their shards only."""
import shutil

import dagster as dg

from pipeline.defs.resources import PipelineSettings
from pipeline.defs.sensors import raw_files_sensor
from pipeline.staging import shard_of
from tests.conftest import SEEDS, query, run_job

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def _tick(raw, out, cursor=None):
    settings = PipelineSettings(raw_dir=str(raw), out_dir=str(out))
    context = dg.build_sensor_context(cursor=cursor, resources={"settings": settings})
    return raw_files_sensor(context)


def _shard_range(result):
    (request,) = result.run_requests
    return request.tags[RANGE_START], request.tags[RANGE_END]


def test_first_tick_requests_every_shard_then_nothing(raw_seeds, tmp_path):
    first = _tick(raw_seeds, tmp_path / "out")
    assert _shard_range(first) == ("00", "31")
    second = _tick(raw_seeds, tmp_path / "out", cursor=first.cursor)
    assert isinstance(second, dg.SkipReason)


def test_new_changed_and_deleted_files_request_their_shard(raw_seeds, tmp_path):
    cursor = _tick(raw_seeds, tmp_path / "out").cursor

    (raw_seeds / "new_page.txt").write_text("anything", encoding="utf-8")
    new = _tick(raw_seeds, tmp_path / "out", cursor)
    assert _shard_range(new) == (shard_of("new_page.txt"),) * 2

    target = raw_seeds / "003_e4d3ef1e73982f60.txt"
    target.write_text(target.read_text(encoding="utf-8").replace("50 estimated", "60 estimated"), encoding="utf-8")
    changed = _tick(raw_seeds, tmp_path / "out", new.cursor)
    assert _shard_range(changed) == (shard_of("003_e4d3ef1e73982f60.txt"),) * 2

    (raw_seeds / "000_a62e3166a47b076d.txt").unlink()
    deleted = _tick(raw_seeds, tmp_path / "out", changed.cursor)
    assert _shard_range(deleted) == (shard_of("000_a62e3166a47b076d.txt"),) * 2


def test_touching_a_file_without_changing_content_requests_nothing(raw_seeds, tmp_path):
    cursor = _tick(raw_seeds, tmp_path / "out").cursor
    target = raw_seeds / "002_d4776af7e2f4cbf7.txt"
    target.write_bytes(target.read_bytes())  # new mtime, same bytes
    assert isinstance(_tick(raw_seeds, tmp_path / "out", cursor), dg.SkipReason)


def test_run_for_a_deleted_files_shard_removes_its_rows(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(SEEDS, raw)
    assert run_job(raw, out).success
    (raw / "000_a62e3166a47b076d.txt").unlink()
    shard = shard_of("000_a62e3166a47b076d.txt")
    from pipeline.definitions import defs

    result = defs.resolve_job_def("refresh").execute_in_process(
        run_config={"resources": {"settings": {"config": {"raw_dir": str(raw), "out_dir": str(out), "workers": 1}}}},
        tags={RANGE_START: shard, RANGE_END: shard},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    assert query(out, "select trial_id from trials order by 1") == [("NCT01219465",), ("NCT01374854",)]
    assert query(out, "select count(*) from eligibility_criteria where trial_id = 'NCT02302599'") == [(0,)]
