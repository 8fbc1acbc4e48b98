"""`python -m pipeline ui` started as the README says, and the processes it started, read from /proc.

The command runs in an environment whose PATH lacks the virtualenv's bin/ (a shell where the venv
is not activated, as on a fresh clone); sys.executable is .venv/bin/python under `make test`.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from pipeline.cli import SHUTDOWN_SECONDS
from tests.conftest import REPO

README_COMMAND = [sys.executable, "-m", "pipeline", "ui"]
LOCATION = "pipeline.definitions"
SERVER_START_SECONDS = 300  # the webserver, the daemon and the code server, on a busy two-core machine
GONE_SECONDS = 10  # after the command exits, for the kernel to reap what it killed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ui_environment(home: Path, raw: Path, out: Path, port: int) -> dict[str, str]:
    """The UI on raw → out with its own DAGSTER_HOME; dagster dev reads its port from DAGSTER_CLI_DEV_PORT."""
    venv_bin = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ.get("PATH", os.defpath).split(os.pathsep) if p != venv_bin)
    return {**os.environ, "PATH": path, "DAGSTER_HOME": str(home), "TRIALS_RAW_DIR": str(raw),
            "TRIALS_OUT_DIR": str(out), "DAGSTER_CLI_DEV_PORT": str(port)}


def start_ui(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("w") as log_file:
        return subprocess.Popen(README_COMMAND, env=env, cwd=REPO, stdout=log_file, stderr=subprocess.STDOUT)


def graphql(base: str, text: str) -> dict:
    request = urllib.request.Request(f"{base}/graphql", data=json.dumps({"query": text}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def wait_until_loaded(base: str, ui: subprocess.Popen, log: Path) -> None:
    """Until the webserver answers and its code location has loaded (or the command died)."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    statuses = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }"
    while time.monotonic() < deadline:
        if ui.poll() is not None:
            raise RuntimeError(f"`{' '.join(README_COMMAND)}` exited with {ui.returncode}:\n{log.read_text()[-3000:]}")
        try:
            entries = graphql(base, statuses)["data"]["workspaceOrError"]["locationEntries"]
            if any(e["name"] == LOCATION and e["loadStatus"] == "LOADED" for e in entries):
                return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"the UI did not load {LOCATION} in {SERVER_START_SECONDS} s:\n{log.read_text()[-3000:]}")


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, start time) of a process, None when there is none."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # after the command name, which may hold spaces
    return fields[0], int(fields[1]), int(fields[19])


def process_tree(root: int) -> dict[int, int]:
    """root and every process descending from it now: pid → start time (so a reused pid is not mistaken)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))):
            parents[int(entry.name)] = (stat[1], stat[2])
    tree, frontier = {}, {root}
    while frontier:
        tree |= {pid: parents[pid][1] for pid in frontier if pid in parents}
        frontier = {pid for pid, (parent, _) in parents.items() if parent in frontier}
    return tree


def running(tree: dict[int, int]) -> list[str]:
    """The command lines of the processes of tree still running (a zombie has ended)."""
    alive = []
    for pid, started in tree.items():
        stat = _stat(pid)
        if stat and stat[0] != "Z" and stat[2] == started:
            alive.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:160])
    return alive


def stop(ui: subprocess.Popen, sig: signal.Signals) -> tuple[float, list[str]]:
    """Send sig to the command as a user would; (seconds until it exited, processes it started still running)."""
    tree = process_tree(ui.pid)
    started = time.monotonic()
    ui.send_signal(sig)
    ui.wait(SHUTDOWN_SECONDS + 60)
    seconds = time.monotonic() - started
    deadline = time.monotonic() + GONE_SECONDS
    while (left := running(tree)) and time.monotonic() < deadline:
        time.sleep(0.5)
    return seconds, left
