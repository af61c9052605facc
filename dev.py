#!/usr/bin/env python3
"""Set up and run the registry with nothing but Python 3.11+.

    python3 dev.py start [options]   start the API with demo data on an embedded PostgreSQL
    python3 dev.py test [pytest options]   run the test suite
    python3 dev.py lint              ruff and mypy
    python3 dev.py lock              re-pin dependencies after editing pyproject.toml

The first run creates ``.venv`` and installs the pinned, hash-checked dependencies from
``requirements/dev.lock``; later runs reinstall only when the lock file changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
LOCK = ROOT / "requirements" / "dev.lock"
STAMP = VENV / ".installed-lock-sha256"


def lock_digest() -> str:
    digest = hashlib.sha256(LOCK.read_bytes())
    digest.update((ROOT / "pyproject.toml").read_bytes())
    return digest.hexdigest()


def ensure_environment() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script is what tells users of older Pythons
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
    if not (BIN / "python").exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    if STAMP.exists() and STAMP.read_text() == lock_digest():
        return
    print("Installing pinned dependencies (first run takes a minute) ...", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "-q", "install"]
    subprocess.run([*pip, "--require-hashes", "-r", str(LOCK)], check=True, cwd=ROOT)
    subprocess.run([*pip, "--no-deps", "--no-build-isolation", "-e", "."], check=True, cwd=ROOT)
    STAMP.write_text(lock_digest())


def run(program: str, *args: str) -> int:
    return subprocess.run([str(BIN / program), *args], cwd=ROOT, check=False).returncode


def replace_process(program: str, *args: str) -> int:
    """Become the program, so that Ctrl-C reaches it alone and it can stop its database cleanly."""
    os.chdir(ROOT)
    if os.name == "nt":
        return run(program, *args)
    os.execv(str(BIN / program), [program, *args])  # noqa: S606 - our own virtualenv's entry point
    raise AssertionError("unreachable: execv does not return")


def main(argv: list[str]) -> int:
    command, args = (argv[0], argv[1:]) if argv else ("help", [])
    if command not in {"start", "test", "lint", "lock"}:
        print(__doc__)
        return 0 if command in {"help", "-h", "--help"} else 2
    ensure_environment()
    if command == "start":
        return replace_process("registry", "serve", "--demo", *args)
    if command == "test":
        return replace_process("pytest", *args)
    if command == "lint":
        return run("ruff", "check", ".") or run("ruff", "format", "--check", ".") or run("mypy", ".")
    compile_ = ["pip-compile", "-q", "--strip-extras", "--no-header", "--generate-hashes", "--allow-unsafe"]
    return run(*compile_, "-o", "requirements/main.lock", "pyproject.toml") or run(
        *compile_, "--extra", "dev", "-o", "requirements/dev.lock", "pyproject.toml"
    )


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
