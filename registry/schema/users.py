"""GraphQL types of who is asking (``viewer``) and of API clients."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import strawberry
from strawberry import relay

from registry.auth.principal import Grant, Principal, PrincipalKind
from registry.db import models
from registry.schema.errors import MutationError
from registry.schema.jurisdictions import Jurisdiction, load_jurisdiction
from registry.schema.organisations import Organisation, load_organisation

if TYPE_CHECKING:
    from registry.schema.context import Context

strawberry.enum(models.Role, description="What a person does, over one subtree of the jurisdiction tree.")
strawberry.enum(PrincipalKind, description="A person or an API client.")


@strawberry.type(description="Permissions held over one subtree of the jurisdiction tree.")
class ViewerGrant:
    role: models.Role | None = strawberry.field(
        description="The role the grant comes from; null for a client."
    )
    permissions: list[str] = strawberry.field(description="Permission (scope) names, e.g. `cases:read`.")
    jurisdiction_id: strawberry.Private[int]

    @strawberry.field(description="The top of the subtree the grant covers.")
    async def jurisdiction(self, info: strawberry.Info[Context, None]) -> Jurisdiction | None:
        return await load_jurisdiction(info, self.jurisdiction_id)

    @classmethod
    def from_grant(cls, grant: Grant) -> ViewerGrant:
        return cls(
            role=grant.role,
            permissions=sorted(p.value for p in grant.permissions),
            jurisdiction_id=grant.jurisdiction_id,
        )


@strawberry.type(description="Who is asking: the signed-in person or the API client, and what they hold.")
class Viewer:
    kind: PrincipalKind = strawberry.field(description="A person or an API client.")
    name: str = strawberry.field(description="Username, or the client's name.")
    grants: list[ViewerGrant] = strawberry.field(description="What is held, and where.")

    @classmethod
    def from_principal(cls, principal: Principal) -> Viewer:
        return cls(
            kind=principal.kind,
            name=principal.name,
            grants=[ViewerGrant.from_grant(grant) for grant in principal.grants],
        )


@strawberry.type(description="A role a person holds over one subtree of the jurisdiction tree.")
class RoleAssignment:
    role: models.Role = strawberry.field(description="The role.")
    jurisdiction_id: strawberry.Private[int]

    @strawberry.field(description="The top of the subtree the role covers.")
    async def jurisdiction(self, info: strawberry.Info[Context, None]) -> Jurisdiction | None:
        return await load_jurisdiction(info, self.jurisdiction_id)


@strawberry.type(
    description="A person working in the registry: caseworker, officer, manager, police monitor, analyst, "
    "auditor or administrator. Visible to themselves and to those who manage, audit or work cases where "
    "the person holds a role."
)
class User(relay.Node):
    db_id: relay.NodeID[int]
    username: str = strawberry.field(description="Sign-in name.")
    display_name: str = strawberry.field(description="Name shown to colleagues.")
    active: bool = strawberry.field(description="False once the person may no longer sign in.")
    version: int = strawberry.field(
        description="Changes with every change of the person or their roles; send it back to change safely."
    )
    organisation_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.User) -> User:
        return cls(
            db_id=row.id,
            username=row.username,
            display_name=row.display_name,
            active=row.active,
            version=row.version,
            organisation_id=row.organisation_id,
        )

    @strawberry.field(description="The organisation the person works for.")
    async def organisation(self, info: strawberry.Info[Context, None]) -> Organisation | None:
        return await load_organisation(info, self.organisation_id)

    @strawberry.field(description="The person's roles you may see, in the order they were given.")
    async def roles(self, info: strawberry.Info[Context, None]) -> list[RoleAssignment]:
        rows = await info.context.loaders.role_assignments_by_user_id.load(self.db_id)
        return [RoleAssignment(role=row.role, jurisdiction_id=row.jurisdiction_id) for row in rows]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info[Context, None], node_ids: list[str], required: bool = False
    ) -> list[User | None]:
        loaded = await info.context.loaders.user_by_id.load_many([int(i) for i in node_ids])
        return [cls.from_row(row) if row is not None else None for row in loaded]


async def load_user(info: strawberry.Info[Context, None], user_id: int | None) -> User | None:
    if user_id is None:
        return None
    row = await info.context.loaders.user_by_id.load(user_id)
    return User.from_row(row) if row is not None else None


@strawberry.type(description="A third-party application's OAuth client (client credentials grant).")
class ApiClient(relay.Node):
    db_id: relay.NodeID[int]
    client_id: str = strawberry.field(description="The OAuth `client_id`.")
    name: str = strawberry.field(description="What the client is, for people reading the list.")
    scopes: list[str] = strawberry.field(description="Scopes the client may ask for.")
    created_at: dt.datetime = strawberry.field(description="When the client was created.")
    revoked_at: dt.datetime | None = strawberry.field(description="When it was revoked; null while active.")
    jurisdiction_id: strawberry.Private[int]

    @strawberry.field(description="The jurisdiction the client is bound to.")
    async def jurisdiction(self, info: strawberry.Info[Context, None]) -> Jurisdiction | None:
        return await load_jurisdiction(info, self.jurisdiction_id)

    @classmethod
    def from_row(cls, row: models.ApiClient) -> ApiClient:
        return cls(
            db_id=row.id,
            client_id=row.client_id,
            name=row.name,
            scopes=list(row.scopes),
            created_at=row.created_at,
            revoked_at=row.revoked_at,
            jurisdiction_id=row.jurisdiction_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info[Context, None], node_ids: list[str], required: bool = False
    ) -> list[ApiClient | None]:
        from registry.resolvers.users import api_clients_by_ids

        return await api_clients_by_ids(info, node_ids)


@strawberry.input(description="A new API client.")
class CreateApiClientInput:
    name: str = strawberry.field(description="What the client is (e.g. the partner system's name).")
    scopes: list[str] = strawberry.field(
        description="Scopes, each one you hold yourself at the jurisdiction."
    )
    jurisdiction_code: str = strawberry.field(description="The jurisdiction the client is bound to.")


@strawberry.type(description="The created client and its secret, shown this once.")
class CreateApiClientPayload:
    api_client: ApiClient | None = strawberry.field(description="The client; null when errors are given.")
    client_secret: str | None = strawberry.field(
        description="The client secret. It is not stored and not shown again."
    )
    errors: list[MutationError] = strawberry.field(description="Why nothing was created.")


@strawberry.input(description="The client to revoke.")
class RevokeApiClientInput:
    id: relay.GlobalID = strawberry.field(description="Global ID of the API client.")


@strawberry.type(description="The revoked client.")
class RevokeApiClientPayload:
    api_client: ApiClient | None = strawberry.field(description="The client, now revoked.")
    errors: list[MutationError] = strawberry.field(description="Why nothing was revoked.")
