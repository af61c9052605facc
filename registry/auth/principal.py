"""Who is asking: a person (user) or an API client, with what they hold and where."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from registry.auth.permissions import ROLE_PERMISSIONS, Permission
from registry.db.models import Role


class PrincipalKind(enum.StrEnum):
    USER = "USER"
    CLIENT = "CLIENT"


@dataclass(frozen=True, slots=True)
class Grant:
    """Permissions held over one subtree of the jurisdiction tree."""

    permissions: frozenset[Permission]
    jurisdiction_id: int
    path: str
    # The role this grant comes from; None for an API client's scopes.
    role: Role | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    kind: PrincipalKind
    # users.id for a person; api_clients.id for a client.
    id: int
    name: str
    organisation_id: int
    grants: tuple[Grant, ...]
    # For a client: the person who created it.
    created_by_user_id: int | None = None
    token_id: str | None = None

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(grant.role for grant in self.grants if grant.role is not None)

    def paths_with(self, permission: Permission) -> tuple[str, ...]:
        """Roots of the subtrees where this principal holds ``permission``, without nested duplicates."""
        paths = sorted({grant.path for grant in self.grants if permission in grant.permissions})
        return tuple(path for path in paths if not any(_is_below(path, other) for other in paths))

    def holds(self, permission: Permission) -> bool:
        return any(permission in grant.permissions for grant in self.grants)


def _is_below(path: str, ancestor: str) -> bool:
    return path != ancestor and path.startswith(ancestor + ".")


def role_grant(role: Role, jurisdiction_id: int, path: str) -> Grant:
    return Grant(ROLE_PERMISSIONS[role], jurisdiction_id, path, role)
