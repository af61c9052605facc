"""Mutation root fields of API clients."""

from __future__ import annotations

import strawberry

from registry.resolvers import users as user_resolvers
from registry.schema.users import CreateApiClientPayload, RevokeApiClientPayload


@strawberry.type
class ApiClientMutations:
    create_api_client: CreateApiClientPayload = strawberry.mutation(
        resolver=user_resolvers.create_api_client,
        description="Create an API client bound to a jurisdiction, with scopes you hold there yourself.",
    )
    revoke_api_client: RevokeApiClientPayload = strawberry.mutation(
        resolver=user_resolvers.revoke_api_client,
        description="Revoke an API client; its tokens stop working on their next request.",
    )
