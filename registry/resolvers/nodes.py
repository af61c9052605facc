"""``node`` and ``nodes``: any object by its global ID. Unknown, malformed-in-content and out-of-scope IDs
are all simply not found (null), so the answer tells nothing about what exists elsewhere."""

from __future__ import annotations

import inspect
from collections import defaultdict
from typing import Annotated

import strawberry
from strawberry import relay

from registry.schema.audit import AuditEvent
from registry.schema.cases import Case, Referral, Transfer
from registry.schema.children import Child, Consent, Guardian, Intervention
from registry.schema.context import Context
from registry.schema.households import Household, Placement
from registry.schema.incidents import Incident
from registry.schema.institutions import Institution
from registry.schema.jurisdictions import Jurisdiction
from registry.schema.organisations import Organisation
from registry.schema.programmes import Programme
from registry.schema.relay import row_id
from registry.schema.users import ApiClient, User

# Every type that implements Node, by its GraphQL name.
NODE_TYPES: dict[str, type[relay.Node]] = {
    "Jurisdiction": Jurisdiction,
    "AuditEvent": AuditEvent,
    "ApiClient": ApiClient,
    "Child": Child,
    "Consent": Consent,
    "Guardian": Guardian,
    "Intervention": Intervention,
    "Case": Case,
    "Referral": Referral,
    "Transfer": Transfer,
    "Institution": Institution,
    "Incident": Incident,
    "Household": Household,
    "Placement": Placement,
    "Organisation": Organisation,
    "Programme": Programme,
    "User": User,
}

MAX_NODES = 100


def _parse(global_id: str) -> tuple[str, str] | None:
    try:
        parsed = relay.GlobalID.from_id(global_id)
    except (ValueError, relay.GlobalIDValueError):
        return None
    found = row_id(parsed.node_id)
    if parsed.type_name not in NODE_TYPES or found is None:
        return None
    return parsed.type_name, str(found)


async def nodes(
    info: strawberry.Info[Context, None],
    ids: Annotated[list[strawberry.ID], strawberry.argument(description="Global IDs, at most 100.")],
) -> list[relay.Node | None]:
    from registry.errors import InvalidInput

    if len(ids) > MAX_NODES:
        raise InvalidInput(f"At most {MAX_NODES} IDs at once.", field="ids")
    parsed = [_parse(str(global_id)) for global_id in ids]
    wanted: dict[str, list[str]] = defaultdict(list)
    for item in parsed:
        if item is not None:
            wanted[item[0]].append(item[1])
    found: dict[tuple[str, str], relay.Node | None] = {}
    for type_name, node_ids in wanted.items():
        unique = list(dict.fromkeys(node_ids))
        resolved = NODE_TYPES[type_name].resolve_nodes(info=info, node_ids=unique, required=False)
        loaded = list(await resolved if inspect.isawaitable(resolved) else resolved)
        found.update({(type_name, node_id): node for node_id, node in zip(unique, loaded, strict=True)})
    return [found.get(item) if item is not None else None for item in parsed]


async def node(
    info: strawberry.Info[Context, None],
    id: Annotated[strawberry.ID, strawberry.argument(description="A global ID.")],
) -> relay.Node | None:
    return (await nodes(info, [id]))[0]
