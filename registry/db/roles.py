"""Database role names as the migrations see them. Names are spliced into DDL, so they are validated."""

from __future__ import annotations

import re

from alembic import context

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def checked_identifier(name: str) -> str:
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"invalid role name: {name!r}")
    return name


def app_role() -> str:
    """The API's login role: from ``registry.db.migrate``, or the settings when Alembic runs by hand."""
    role = context.config.attributes.get("app_db_role")
    if role is None:
        from registry.config import get_settings

        role = get_settings().app_db_role
    return checked_identifier(str(role))
