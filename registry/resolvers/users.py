"""``viewer`` and the API-client mutations."""

from __future__ import annotations

import strawberry

from registry.auth import clients as client_service
from registry.auth.permissions import Permission
from registry.auth.policy import can
from registry.db.queries import users as queries
from registry.errors import NotFound, RegistryError
from registry.schema.context import Context
from registry.schema.errors import MutationError
from registry.schema.relay import row_id
from registry.schema.users import (
    ApiClient,
    CreateApiClientInput,
    CreateApiClientPayload,
    RevokeApiClientInput,
    RevokeApiClientPayload,
    Viewer,
)


def viewer(info: strawberry.Info[Context, None]) -> Viewer | None:
    principal = info.context.principal
    return Viewer.from_principal(principal) if principal is not None else None


async def api_clients_by_ids(
    info: strawberry.Info[Context, None], node_ids: list[str]
) -> list[ApiClient | None]:
    context = info.context
    ids = [int(node_id) for node_id in node_ids]
    found = await queries.api_clients_by_ids(context.session, ids)
    return [
        ApiClient.from_row(row)
        if (row := found.get(i)) is not None and can(context.principal, Permission.CLIENTS_MANAGE, row.path)
        else None
        for i in ids
    ]


async def create_api_client(
    info: strawberry.Info[Context, None], input: CreateApiClientInput
) -> CreateApiClientPayload:
    context = info.context
    if context.principal is None:
        return CreateApiClientPayload(
            api_client=None, client_secret=None, errors=[MutationError.from_error(NotFound("Sign in first."))]
        )
    try:
        created = await client_service.create_api_client(
            context.session,
            context.principal,
            name=input.name,
            scopes=" ".join(input.scopes),
            jurisdiction_code=input.jurisdiction_code,
        )
        await context.session.commit()
    except RegistryError as error:
        await context.session.rollback()
        return CreateApiClientPayload(
            api_client=None, client_secret=None, errors=[MutationError.from_error(error)]
        )
    return CreateApiClientPayload(
        api_client=ApiClient.from_row(created.client), client_secret=created.secret, errors=[]
    )


async def revoke_api_client(
    info: strawberry.Info[Context, None], input: RevokeApiClientInput
) -> RevokeApiClientPayload:
    context = info.context
    try:
        client_id = row_id(input.id.node_id) if input.id.type_name == "ApiClient" else None
        if context.principal is None or client_id is None:
            raise NotFound("No such API client.", field="id")
        revoked = await client_service.revoke_api_client(context.session, context.principal, client_id)
        await context.session.commit()
    except RegistryError as error:
        await context.session.rollback()
        return RevokeApiClientPayload(api_client=None, errors=[MutationError.from_error(error)])
    return RevokeApiClientPayload(api_client=ApiClient.from_row(revoked), errors=[])
