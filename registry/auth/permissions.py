"""Permissions, the OAuth scopes that name them, and what each role holds."""

from __future__ import annotations

import enum

from registry.db.models import Role


class Permission(enum.StrEnum):
    """A permission is also the OAuth scope an API client is granted it by."""

    JURISDICTIONS_READ = "jurisdictions:read"
    CHILDREN_READ = "children:read"
    CHILDREN_WRITE = "children:write"
    CASES_READ = "cases:read"
    CASES_WRITE = "cases:write"
    # Names, dates of birth, identity numbers, guardians, addresses: only with this, inside the scope.
    PII_READ = "pii:read"
    INCIDENTS_READ = "incidents:read"
    INCIDENTS_WRITE = "incidents:write"
    STATISTICS_READ = "statistics:read"
    AUDIT_READ = "audit:read"
    USERS_MANAGE = "users:manage"
    CLIENTS_MANAGE = "clients:manage"
    JURISDICTIONS_MANAGE = "jurisdictions:manage"


_CASEWORK = frozenset(
    {
        Permission.JURISDICTIONS_READ,
        Permission.CHILDREN_READ,
        Permission.CHILDREN_WRITE,
        Permission.CASES_READ,
        Permission.CASES_WRITE,
        Permission.PII_READ,
        Permission.INCIDENTS_READ,
        Permission.STATISTICS_READ,
    }
)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # Aggregates only: never an individual record.
    Role.NATIONAL_ANALYST: frozenset({Permission.JURISDICTIONS_READ, Permission.STATISTICS_READ}),
    # Jurisdictions, organisations, users and clients; no case content.
    Role.SYSTEM_ADMIN: frozenset(
        {
            Permission.JURISDICTIONS_READ,
            Permission.JURISDICTIONS_MANAGE,
            Permission.USERS_MANAGE,
            Permission.CLIENTS_MANAGE,
        }
    ),
    # Departments also record police-station monitoring (incidents, police custody), as police monitors do.
    Role.PROVINCIAL_MANAGER: _CASEWORK
    | {Permission.USERS_MANAGE, Permission.CLIENTS_MANAGE, Permission.INCIDENTS_WRITE},
    Role.DISTRICT_OFFICER: _CASEWORK
    | {Permission.USERS_MANAGE, Permission.CLIENTS_MANAGE, Permission.INCIDENTS_WRITE},
    # Own and assigned cases only (the policy narrows case reads to those).
    Role.CASE_WORKER: _CASEWORK - {Permission.STATISTICS_READ},
    # Incidents and placements at police stations; children without their identity.
    Role.POLICE_MONITOR: frozenset(
        {
            Permission.JURISDICTIONS_READ,
            Permission.CHILDREN_READ,
            Permission.INCIDENTS_READ,
            Permission.INCIDENTS_WRITE,
        }
    ),
    # The audit log, without personal data.
    Role.AUDITOR: frozenset({Permission.JURISDICTIONS_READ, Permission.AUDIT_READ}),
}

ALL_SCOPES = frozenset(permission.value for permission in Permission)


def parse_scopes(text: str) -> frozenset[Permission]:
    """Space-separated scope names; unknown names raise ``ValueError``."""
    names = text.split()
    unknown = sorted(set(names) - ALL_SCOPES)
    if unknown:
        raise ValueError(f"unknown scope(s): {', '.join(unknown)}")
    return frozenset(Permission(name) for name in names)
