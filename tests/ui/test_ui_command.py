"""The README's UI command on a fresh clone: it starts without the venv on PATH, and Ctrl-C stops all of it."""
from __future__ import annotations

import shutil
import signal

from pipeline.cli import SHUTDOWN_SECONDS
from tests.conftest import SEEDS
from tests.ui.ui_command import (
    free_port, process_tree, running, start_ui, stop, ui_environment, wait_until_loaded,
)


def test_ctrl_c_stops_every_process_the_ui_command_started(tmp_path):
    shutil.copytree(SEEDS, tmp_path / "raw")
    port = free_port()
    log = tmp_path / "ui.log"
    ui = start_ui(ui_environment(tmp_path / "dagster_home", tmp_path / "raw", tmp_path / "out", port), log)
    try:
        wait_until_loaded(f"http://127.0.0.1:{port}", ui, log)
        commands = running(process_tree(ui.pid))
        assert any("-m dagster_webserver" in c for c in commands) and any("dagster._daemon" in c for c in commands)
        seconds, left = stop(ui, signal.SIGINT)
    finally:
        if ui.poll() is None:
            ui.kill()
            ui.wait()
    assert left == [], "still running after the UI command exited:\n" + "\n".join(left)
    assert ui.returncode == 0 and seconds < SHUTDOWN_SECONDS + 10, (ui.returncode, seconds, log.read_text()[-2000:])

