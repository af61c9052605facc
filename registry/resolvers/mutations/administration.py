"""Mutation root fields of administration: the jurisdiction tree, organisations, institutions, people and
their roles."""

from __future__ import annotations

import strawberry

from registry.resolvers.mutations import perform
from registry.schema.context import Context
from registry.schema.institutions import Institution, load_institution
from registry.schema.jurisdictions import Jurisdiction
from registry.schema.mutations.administration import (
    CreateInstitutionInput,
    CreateInstitutionPayload,
    CreateJurisdictionInput,
    CreateJurisdictionPayload,
    CreateOrganisationInput,
    CreateOrganisationPayload,
    CreateUserInput,
    CreateUserPayload,
    DeactivateUserInput,
    DeactivateUserPayload,
    GrantRoleInput,
    GrantRolePayload,
    RevokeRoleInput,
    RevokeRolePayload,
    UpdateInstitutionInput,
    UpdateInstitutionPayload,
    UpdateJurisdictionInput,
    UpdateJurisdictionPayload,
)
from registry.schema.organisations import load_organisation
from registry.schema.relay import database_id
from registry.schema.users import load_user
from registry.services import administration as service


async def _jurisdiction(
    info: strawberry.Info[Context, None], jurisdiction_id: int | None
) -> Jurisdiction | None:
    if jurisdiction_id is None:
        return None
    row = await info.context.loaders.jurisdiction_by_id.load(jurisdiction_id)
    return Jurisdiction.from_row(row) if row is not None else None


async def _institution(
    info: strawberry.Info[Context, None], institution_id: int | None
) -> Institution | None:
    return await load_institution(info, institution_id)


async def create_jurisdiction(
    info: strawberry.Info[Context, None], input: CreateJurisdictionInput
) -> CreateJurisdictionPayload:
    session = info.context.session
    done = await perform(
        info,
        lambda principal: service.create_jurisdiction(
            session,
            principal,
            parent_code=input.parent_code,
            code=input.code,
            name=input.name,
            name_ur=input.name_ur,
            level=input.level,
            idempotency_key=input.idempotency_key,
        ),
    )
    created = done.result[0] if done.result is not None else None
    return CreateJurisdictionPayload(jurisdiction=await _jurisdiction(info, created), errors=done.errors)


async def update_jurisdiction(
    info: strawberry.Info[Context, None], input: UpdateJurisdictionInput
) -> UpdateJurisdictionPayload:
    session = info.context.session
    done = await perform(
        info,
        lambda principal: service.update_jurisdiction(
            session, principal, code=input.code, name=input.name, name_ur=input.name_ur
        ),
    )
    changed = done.result.id if done.result is not None else None
    return UpdateJurisdictionPayload(jurisdiction=await _jurisdiction(info, changed), errors=done.errors)


async def create_organisation(
    info: strawberry.Info[Context, None], input: CreateOrganisationInput
) -> CreateOrganisationPayload:
    session = info.context.session
    done = await perform(
        info,
        lambda principal: service.create_organisation(
            session,
            principal,
            code=input.code,
            name=input.name,
            kind=input.kind,
            jurisdiction_code=input.jurisdiction_code,
            idempotency_key=input.idempotency_key,
        ),
    )
    organisation = await load_organisation(info, done.result[0]) if done.result is not None else None
    return CreateOrganisationPayload(organisation=organisation, errors=done.errors)


async def create_institution(
    info: strawberry.Info[Context, None], input: CreateInstitutionInput
) -> CreateInstitutionPayload:
    session = info.context.session
    done = await perform(
        info,
        lambda principal: service.create_institution(
            session,
            principal,
            code=input.code,
            name=input.name,
            type=input.type,
            organisation_id=database_id(input.organisation_id, "Organisation", field="organisationId"),
            jurisdiction_code=input.jurisdiction_code,
            capacity=input.capacity,
            idempotency_key=input.idempotency_key,
        ),
    )
    created = done.result[0] if done.result is not None else None
    return CreateInstitutionPayload(institution=await _institution(info, created), errors=done.errors)


async def update_institution(
    info: strawberry.Info[Context, None], input: UpdateInstitutionInput
) -> UpdateInstitutionPayload:
    session = info.context.session
    done = await perform(
        info,
        lambda principal: service.update_institution(
            session,
            principal,
            institution_id=database_id(input.id, "Institution", field="id"),
            version=input.version,
            name=input.name,
            capacity=input.capacity,
            active=input.active,
        ),
    )
    changed = done.result.id if done.result is not None else None
    return UpdateInstitutionPayload(institution=await _institution(info, changed), errors=done.errors)


async def create_user(info: strawberry.Info[Context, None], input: CreateUserInput) -> CreateUserPayload:
    session = info.context.session
    done = await perform(
        info,
        lambda principal: service.create_user(
            session,
            principal,
            username=input.username,
            display_name=input.display_name,
            email=input.email,
            organisation_id=database_id(input.organisation_id, "Organisation", field="organisationId"),
            role=input.role,
            jurisdiction_code=input.jurisdiction_code,
            password=input.password,
            idempotency_key=input.idempotency_key,
        ),
    )
    user = await load_user(info, done.result[0] if done.result is not None else None)
    return CreateUserPayload(user=user, errors=done.errors)


async def grant_role(info: strawberry.Info[Context, None], input: GrantRoleInput) -> GrantRolePayload:
    session = info.context.session
    done = await perform(
        info,
        lambda principal: service.grant_role(
            session,
            principal,
            user_id=database_id(input.user_id, "User", field="userId"),
            role=input.role,
            jurisdiction_code=input.jurisdiction_code,
            version=input.version,
            idempotency_key=input.idempotency_key,
        ),
    )
    user = await load_user(info, int(input.user_id.node_id)) if done.result is not None else None
    return GrantRolePayload(user=user, errors=done.errors)


async def revoke_role(info: strawberry.Info[Context, None], input: RevokeRoleInput) -> RevokeRolePayload:
    session = info.context.session
    done = await perform(
        info,
        lambda principal: service.revoke_role(
            session,
            principal,
            user_id=database_id(input.user_id, "User", field="userId"),
            role=input.role,
            jurisdiction_code=input.jurisdiction_code,
            version=input.version,
        ),
    )
    user = await load_user(info, done.result.id if done.result is not None else None)
    return RevokeRolePayload(user=user, errors=done.errors)


async def deactivate_user(
    info: strawberry.Info[Context, None], input: DeactivateUserInput
) -> DeactivateUserPayload:
    session = info.context.session
    done = await perform(
        info,
        lambda principal: service.deactivate_user(
            session,
            principal,
            user_id=database_id(input.user_id, "User", field="userId"),
            version=input.version,
        ),
    )
    user = await load_user(info, done.result.id if done.result is not None else None)
    return DeactivateUserPayload(user=user, errors=done.errors)


@strawberry.type
class AdministrationMutations:
    create_jurisdiction: CreateJurisdictionPayload = strawberry.mutation(
        resolver=create_jurisdiction,
        description="Add a node to the jurisdiction tree below one you manage (`jurisdictions:manage`).",
    )
    update_jurisdiction: UpdateJurisdictionPayload = strawberry.mutation(
        resolver=update_jurisdiction,
        description="Rename a node you manage. Moving nodes in the tree is not offered.",
    )
    create_organisation: CreateOrganisationPayload = strawberry.mutation(
        resolver=create_organisation,
        description="Add an organisation working in a jurisdiction you manage (`jurisdictions:manage`).",
    )
    create_institution: CreateInstitutionPayload = strawberry.mutation(
        resolver=create_institution,
        description="Add an institution in a jurisdiction you manage (`jurisdictions:manage`).",
    )
    update_institution: UpdateInstitutionPayload = strawberry.mutation(
        resolver=update_institution,
        description="Rename an institution you manage, change its capacity, close or reopen it.",
    )
    create_user: CreateUserPayload = strawberry.mutation(
        resolver=create_user,
        description="Add a person with a first role in a jurisdiction where you manage staff "
        "(`users:manage`); never a role holding more than you hold there.",
    )
    grant_role: GrantRolePayload = strawberry.mutation(
        resolver=grant_role,
        description="Give a person you manage another role; never one holding more than you hold there.",
    )
    revoke_role: RevokeRolePayload = strawberry.mutation(
        resolver=revoke_role,
        description="Take back a role you could give; a person keeps at least one.",
    )
    deactivate_user: DeactivateUserPayload = strawberry.mutation(
        resolver=deactivate_user,
        description="End a person's access (their tokens stop working at once); only if you could take "
        "back every role they hold.",
    )
