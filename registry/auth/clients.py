"""API clients: created by a person, never wider than that person, revocable at once."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from registry.auth.permissions import Permission, parse_scopes
from registry.auth.policy import can
from registry.auth.principal import Principal, PrincipalKind
from registry.auth.secrets import new_secret, secret_hash
from registry.db.models import ApiClient
from registry.db.queries import jurisdictions as jurisdiction_queries
from registry.db.queries import users as queries
from registry.errors import InvalidInput, NotFound


@dataclass(frozen=True)
class CreatedClient:
    client: ApiClient
    # Shown once; only its hash is stored.
    secret: str


async def create_api_client(
    session: AsyncSession, creator: Principal, *, name: str, scopes: str, jurisdiction_code: str
) -> CreatedClient:
    if creator.kind is not PrincipalKind.USER:
        raise NotFound("No such jurisdiction.", field="jurisdictionCode")
    jurisdiction = await jurisdiction_queries.jurisdiction_by_code(session, jurisdiction_code)
    if jurisdiction is None or not can(creator, Permission.CLIENTS_MANAGE, jurisdiction.path):
        raise NotFound("No such jurisdiction.", field="jurisdictionCode")
    try:
        requested = parse_scopes(scopes)
    except ValueError as error:
        raise InvalidInput(str(error).capitalize() + ".", field="scopes") from None
    if not requested:
        raise InvalidInput("At least one scope is required.", field="scopes")
    beyond = sorted(p.value for p in requested if not can(creator, p, jurisdiction.path))
    if beyond:
        raise InvalidInput(
            f"A client cannot hold more than its creator; you do not hold {', '.join(beyond)} there.",
            field="scopes",
        )
    if not name.strip():
        raise InvalidInput("A name is required.", field="name")
    secret = new_secret("cprs")
    client = await queries.insert_api_client(
        session,
        client_id=new_secret("cprc", 12),
        name=name.strip(),
        organisation_id=creator.organisation_id,
        scopes=sorted(p.value for p in requested),
        secret_hash=secret_hash(secret),
        created_by_id=creator.id,
        jurisdiction=jurisdiction,
    )
    return CreatedClient(client, secret)


async def revoke_api_client(session: AsyncSession, principal: Principal, client_db_id: int) -> ApiClient:
    """Revoke a client in the principal's scope; its tokens stop working on their next request."""
    client = await queries.api_client_by_id(session, client_db_id)
    if client is None or not can(principal, Permission.CLIENTS_MANAGE, client.path):
        raise NotFound("No such API client.", field="id")
    revoked = await queries.mark_api_client_revoked(session, client.id)
    return revoked or client
