"""Inputs and payloads of administration: the jurisdiction tree, organisations, institutions, people and
their roles."""

from __future__ import annotations

import strawberry
from strawberry import relay

from registry.db import models
from registry.schema.errors import MutationError
from registry.schema.institutions import Institution
from registry.schema.jurisdictions import Jurisdiction
from registry.schema.organisations import Organisation
from registry.schema.users import User

IDEMPOTENCY_KEY = (
    "Any unique string (8-100 characters) chosen by the client; a retry with the same key returns the "
    "first attempt's result instead of creating again."
)
USER_VERSION = (
    "The `version` of the person you read; refused with CONFLICT if it has changed since. Optional."
)
NOTHING_CHANGED = "Why nothing was changed."


@strawberry.input(description="A new node of the jurisdiction tree, below an existing one.")
class CreateJurisdictionInput:
    parent_code: str = strawberry.field(description="Code of the node the new one sits directly below.")
    code: str = strawberry.field(
        description="Stable, unique code: upper-case parts joined by hyphens, e.g. `PK-KP-PESHAWAR`."
    )
    name: str = strawberry.field(description="Name in English.")
    name_ur: str | None = strawberry.field(default=None, description="Name in Urdu, if known.")
    level: models.JurisdictionLevel = strawberry.field(
        description="Below the parent's level: NATIONAL > PROVINCIAL > DIVISIONAL > DISTRICT > TEHSIL > "
        "COMMUNITY, skipping only the optional DIVISIONAL and TEHSIL."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input(
    description="New names for a node. Its code, level and place in the tree do not change here: moving "
    "nodes is not offered."
)
class UpdateJurisdictionInput:
    code: str = strawberry.field(description="Code of the node.")
    name: str | None = strawberry.field(default=None, description="New English name; null keeps it.")
    name_ur: str | None = strawberry.field(
        default=None, description="New Urdu name; null keeps it, an empty string clears it."
    )


@strawberry.input(description="A new organisation working in a jurisdiction.")
class CreateOrganisationInput:
    code: str = strawberry.field(description="Stable, unique code, e.g. `NGO-SPARC`.")
    name: str = strawberry.field(description="Name.")
    kind: models.OrganisationKind = strawberry.field(description="What kind of body it is.")
    jurisdiction_code: str = strawberry.field(
        description="Where it works: this jurisdiction and everything below."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input(description="A new institution in a jurisdiction.")
class CreateInstitutionInput:
    code: str = strawberry.field(description="Stable, unique code, e.g. `PB-LHR-PS-01`.")
    name: str = strawberry.field(description="Name.")
    type: models.InstitutionType = strawberry.field(description="What kind of place it is.")
    organisation_id: relay.GlobalID = strawberry.field(
        description="The `Organisation` that runs it; it must work at the institution's jurisdiction."
    )
    jurisdiction_code: str = strawberry.field(description="Where the institution is.")
    capacity: int | None = strawberry.field(
        default=None, description="How many children it can serve or hold, if known."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input(
    description="Changes to an institution; null keeps a value. Institutions carry no `version`: the "
    "last change wins."
)
class UpdateInstitutionInput:
    id: relay.GlobalID = strawberry.field(description="The institution.")
    version: int = strawberry.field(
        description="The `version` you read; refused with CONFLICT if it has changed since."
    )
    name: str | None = strawberry.field(default=None, description="New name.")
    capacity: int | None = strawberry.field(default=None, description="New capacity.")
    active: bool | None = strawberry.field(
        default=None, description="False when it closes, true when it reopens."
    )


@strawberry.input(description="A new person with a first role.")
class CreateUserInput:
    username: str = strawberry.field(
        description="Sign-in name: lower-case letters, digits, dots, hyphens, underscores; unique."
    )
    display_name: str = strawberry.field(description="Name shown to colleagues.")
    email: str | None = strawberry.field(default=None, description="Email address, if any.")
    organisation_id: relay.GlobalID = strawberry.field(
        description="The `Organisation` the person works for; it must work at the role's jurisdiction."
    )
    role: models.Role = strawberry.field(
        description="The first role: one holding nothing you do not hold there yourself (system "
        "administrators may give any role)."
    )
    jurisdiction_code: str = strawberry.field(description="The node the role covers, with its subtree.")
    password: str | None = strawberry.field(
        default=None,
        description="A first password (12 characters or more) for the sign-in page; kept only as a hash "
        "and never shown. Without one, the person signs in through the configured identity provider.",
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input(description="Another role for a person.")
class GrantRoleInput:
    user_id: relay.GlobalID = strawberry.field(description="The person (a `User`).")
    role: models.Role = strawberry.field(
        description="The role: one holding nothing you do not hold there yourself (system administrators "
        "may give any role)."
    )
    jurisdiction_code: str = strawberry.field(description="The node the role covers, with its subtree.")
    version: int | None = strawberry.field(default=None, description=USER_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input(description="A role to take back from a person (who keeps at least one).")
class RevokeRoleInput:
    user_id: relay.GlobalID = strawberry.field(description="The person (a `User`).")
    role: models.Role = strawberry.field(description="The role.")
    jurisdiction_code: str = strawberry.field(description="The node the role covers.")
    version: int | None = strawberry.field(default=None, description=USER_VERSION)


@strawberry.input(description="A person whose access ends.")
class DeactivateUserInput:
    user_id: relay.GlobalID = strawberry.field(description="The person (a `User`).")
    version: int | None = strawberry.field(default=None, description=USER_VERSION)


@strawberry.type(description="The new node.")
class CreateJurisdictionPayload:
    jurisdiction: Jurisdiction | None = strawberry.field(description="The node; null when errors are given.")
    errors: list[MutationError] = strawberry.field(description=NOTHING_CHANGED)


@strawberry.type(description="The renamed node.")
class UpdateJurisdictionPayload:
    jurisdiction: Jurisdiction | None = strawberry.field(description="The node; null when errors are given.")
    errors: list[MutationError] = strawberry.field(description=NOTHING_CHANGED)


@strawberry.type(description="The new organisation.")
class CreateOrganisationPayload:
    organisation: Organisation | None = strawberry.field(
        description="The organisation; null when errors are given."
    )
    errors: list[MutationError] = strawberry.field(description=NOTHING_CHANGED)


@strawberry.type(description="The new institution.")
class CreateInstitutionPayload:
    institution: Institution | None = strawberry.field(
        description="The institution; null when errors are given."
    )
    errors: list[MutationError] = strawberry.field(description=NOTHING_CHANGED)


@strawberry.type(description="The institution after the change.")
class UpdateInstitutionPayload:
    institution: Institution | None = strawberry.field(
        description="The institution; null when errors are given."
    )
    errors: list[MutationError] = strawberry.field(description=NOTHING_CHANGED)


@strawberry.type(description="The new person.")
class CreateUserPayload:
    user: User | None = strawberry.field(description="The person; null when errors are given.")
    errors: list[MutationError] = strawberry.field(description=NOTHING_CHANGED)


@strawberry.type(description="The person with the new role.")
class GrantRolePayload:
    user: User | None = strawberry.field(description="The person; null when errors are given.")
    errors: list[MutationError] = strawberry.field(description=NOTHING_CHANGED)


@strawberry.type(description="The person without the role.")
class RevokeRolePayload:
    user: User | None = strawberry.field(description="The person; null when errors are given.")
    errors: list[MutationError] = strawberry.field(description=NOTHING_CHANGED)


@strawberry.type(description="The deactivated person.")
class DeactivateUserPayload:
    user: User | None = strawberry.field(description="The person; null when errors are given.")
    errors: list[MutationError] = strawberry.field(description=NOTHING_CHANGED)
