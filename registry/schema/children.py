"""GraphQL types of children. Identity fields are personal data: withheld, with a typed error, unless the
policy allows them."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from registry.db import models
from registry.db.models.children import age_band
from registry.schema.jurisdictions import Jurisdiction, load_jurisdiction
from registry.schema.programmes import Programme
from registry.schema.relay import After, Connection, First

if TYPE_CHECKING:
    from registry.schema.audit import AuditEvent
    from registry.schema.cases import Case
    from registry.schema.context import Context
    from registry.schema.households import Household, Placement

strawberry.enum(models.Sex, description="Sex as recorded.")
strawberry.enum(models.AgeBand, description="Age band today, from the coarse birth year.")
strawberry.enum(models.ConsentPurpose, description="What consent was given for.")
strawberry.enum(models.ConsentGiver, description="Who gave it: the child's assent, or a guardian.")
strawberry.enum(models.OutcomeType, description="What was achieved for the child.")
strawberry.enum(models.InterventionRecipient, description="Who received an intervention.")
strawberry.enum(models.GuardianRelationship, description="How a guardian is related to the child.")


@strawberry.type(
    description="A parent or other guardian of a child (personal data: found only by those who may see "
    "the child's identity)."
)
class Guardian(relay.Node):
    db_id: relay.NodeID[int]
    full_name: str = strawberry.field(description="Full name.")
    relationship: models.GuardianRelationship = strawberry.field(description="Relationship to the child.")
    phone: str | None = strawberry.field(description="Phone number, if given.")
    is_primary: bool = strawberry.field(description="Whether this is the child's primary guardian.")

    @classmethod
    def from_row(cls, row: models.Guardian) -> Guardian:
        return cls(
            db_id=row.id,
            full_name=row.full_name,
            relationship=row.relationship,
            phone=row.phone,
            is_primary=row.is_primary,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info[Context, None], node_ids: list[str], required: bool = False
    ) -> list[Guardian | None]:
        loaders = info.context.loaders
        found: list[Guardian | None] = []
        for row in await loaders.guardian_by_id.load_many([int(i) for i in node_ids]):
            shown = await _guardians_shown(info, row.child_id) if row is not None else []
            visible = row is not None and any(guardian.id == row.id for guardian in shown)
            found.append(cls.from_row(row) if row is not None and visible else None)
        return found


async def _guardians_shown(info: strawberry.Info[Context, None], child_id: int) -> list[models.Guardian]:
    """The guardians of a child the principal may see and whose identity they may see; else none."""
    from registry.errors import PersonalDataWithheld

    loaders = info.context.loaders
    child = await loaders.child_by_id.load(child_id)
    if child is None:
        return []
    try:
        return await loaders.guardians_of(child)
    except PersonalDataWithheld:
        return []


@strawberry.type(
    description="Consent given for the child's data or services; withdrawal is recorded, never deleted. "
    "Found by those who may see the child."
)
class Consent(relay.Node):
    db_id: relay.NodeID[int]
    purpose: models.ConsentPurpose = strawberry.field(description="What it was given for.")
    given_by: models.ConsentGiver = strawberry.field(description="The child's assent, or a guardian.")
    given_at: dt.datetime = strawberry.field(description="When it was given.")
    withdrawn_at: dt.datetime | None = strawberry.field(
        description="When it was withdrawn; null while it holds."
    )
    row: strawberry.Private[models.Consent]

    @classmethod
    def from_row(cls, row: models.Consent) -> Consent:
        return cls(
            db_id=row.id,
            purpose=row.purpose,
            given_by=row.given_by,
            given_at=row.given_at,
            withdrawn_at=row.withdrawn_at,
            row=row,
        )

    @strawberry.field(description="The child it concerns.")
    async def child(self, info: strawberry.Info[Context, None]) -> Child | None:
        return await load_child(info, self.row.child_id)

    @strawberry.field(description="The guardian who gave it, for a guardian's consent (personal data).")
    async def guardian(self, info: strawberry.Info[Context, None]) -> Guardian | None:
        if self.row.guardian_id is None:
            return None
        loaders = info.context.loaders
        child = await loaders.child_by_id.load(self.row.child_id)
        if child is None:
            return None
        rows = await loaders.guardians_of(child)
        return next((Guardian.from_row(row) for row in rows if row.id == self.row.guardian_id), None)

    @strawberry.field(description="The case it was recorded for, if one was named and you may see it.")
    async def case(
        self, info: strawberry.Info[Context, None]
    ) -> Annotated[Case, strawberry.lazy("registry.schema.cases")] | None:
        from registry.schema.cases import load_case

        return await load_case(info, self.row.case_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info[Context, None], node_ids: list[str], required: bool = False
    ) -> list[Consent | None]:
        loaded = await info.context.loaders.consent_by_id.load_many([int(i) for i in node_ids])
        return [cls.from_row(row) if row is not None else None for row in loaded]


@strawberry.type(description="Something done for the child: education, training, support, legal aid, ...")
class Intervention(relay.Node):
    db_id: relay.NodeID[int]
    type: models.InterventionType = strawberry.field(description="What was done.")
    recipient: models.InterventionRecipient = strawberry.field(description="Who received it.")
    started_on: dt.date = strawberry.field(description="When it began.")
    ended_on: dt.date | None = strawberry.field(description="When it ended.")
    completed: bool = strawberry.field(description="Whether it was completed.")
    programme_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: models.Intervention) -> Intervention:
        return cls(
            db_id=row.id,
            type=row.type,
            recipient=row.recipient,
            started_on=row.started_on,
            ended_on=row.ended_on,
            completed=row.completed,
            programme_id=row.programme_id,
        )

    @strawberry.field(description="The programme it was part of, if any.")
    async def programme(self, info: strawberry.Info[Context, None]) -> Programme | None:
        if self.programme_id is None:
            return None
        row = await info.context.loaders.programme_by_id.load(self.programme_id)
        return Programme.from_row(row) if row is not None else None

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info[Context, None], node_ids: list[str], required: bool = False
    ) -> list[Intervention | None]:
        loaded = await info.context.loaders.intervention_by_id.load_many([int(i) for i in node_ids])
        return [cls.from_row(row) if row is not None else None for row in loaded]


@strawberry.type(description="What was achieved for the child.")
class Outcome:
    type: models.OutcomeType = strawberry.field(description="The outcome.")
    achieved_on: dt.date = strawberry.field(description="When it was achieved.")

    @classmethod
    def from_row(cls, row: models.Outcome) -> Outcome:
        return cls(type=row.type, achieved_on=row.achieved_on)


@strawberry.type(
    description="A child in the registry. Non-identifying fields are open to those who may see "
    "the child; identity (name, date of birth, identity number) needs `pii:read` there, and for "
    "a child in conflict with the law, to be one of the case's workers or their supervisors."
)
class Child(relay.Node):
    db_id: relay.NodeID[int]
    sex: models.Sex = strawberry.field(description="Sex as recorded.")
    registered_on: dt.date = strawberry.field(description="When the child was registered.")
    version: int = strawberry.field(
        description="Changes with every change of the record (identity corrections included); send it back "
        "with a change so that a concurrent one is not overwritten."
    )
    row: strawberry.Private[models.Child]

    @classmethod
    def from_row(cls, row: models.Child) -> Child:
        return cls(db_id=row.id, sex=row.sex, registered_on=row.registered_on, version=row.version, row=row)

    @strawberry.field(
        description="Age band today (0-4, 5-9, 10-14, 15-17, or 18 and over since registration)."
    )
    def age_band(self) -> models.AgeBand:
        return age_band(self.row.birth_year, dt.date.today())

    @strawberry.field(description="The jurisdiction the child belongs to.")
    async def jurisdiction(self, info: strawberry.Info[Context, None]) -> Jurisdiction | None:
        return await load_jurisdiction(info, self.row.jurisdiction_id)

    @strawberry.field(description="Full name (personal data).")
    async def full_name(self, info: strawberry.Info[Context, None]) -> str | None:
        identity = await info.context.loaders.identity_of(self.row)
        return identity.full_name if identity is not None else None

    @strawberry.field(description="Date of birth, if known (personal data).")
    async def date_of_birth(self, info: strawberry.Info[Context, None]) -> dt.date | None:
        identity = await info.context.loaders.identity_of(self.row)
        return identity.date_of_birth if identity is not None else None

    @strawberry.field(description="National registration number (B-Form / CRC), if known (personal data).")
    async def identity_number(self, info: strawberry.Info[Context, None]) -> str | None:
        identity = await info.context.loaders.identity_of(self.row)
        if identity is None or identity.identity_number_ciphertext is None:
            return None
        assert identity.identity_number_key_id is not None
        return info.context.identity_numbers.decrypt(
            identity.identity_number_key_id, identity.identity_number_ciphertext, child_id=self.db_id
        )

    @strawberry.field(description="Parents and other guardians, primary first (personal data).")
    async def guardians(self, info: strawberry.Info[Context, None]) -> list[Guardian]:
        rows = await info.context.loaders.guardians_of(self.row)
        return [Guardian.from_row(row) for row in sorted(rows, key=lambda row: not row.is_primary)]

    @strawberry.field(
        description="Who changed this child's record or was shown its personal data, newest first: the "
        "audit trail, for those who may see the child."
    )
    async def access_log(
        self, info: strawberry.Info[Context, None], first: First = None, after: After = None
    ) -> Connection[Annotated[AuditEvent, strawberry.lazy("registry.schema.audit")]]:
        from registry.resolvers.audit import access_log

        return await access_log(info, self.db_id, first=first, after=after)

    @strawberry.field(description="The child's household, if recorded and yours to see.")
    async def household(
        self, info: strawberry.Info[Context, None]
    ) -> Annotated[Household, strawberry.lazy("registry.schema.households")] | None:
        from registry.schema.households import Household

        if self.row.household_id is None:
            return None
        row = await info.context.loaders.household_by_id.load(self.row.household_id)
        return Household.from_row(row) if row is not None else None

    @strawberry.field(
        description="Placements of the child (custody, homes, shelters) you may see, oldest first."
    )
    async def placements(
        self, info: strawberry.Info[Context, None]
    ) -> list[Annotated[Placement, strawberry.lazy("registry.schema.households")]]:
        from registry.schema.households import Placement

        rows = await info.context.loaders.placements_by_child_id.load(self.db_id)
        return [Placement.from_row(row) for row in rows]

    @strawberry.field(description="Consents recorded for the child, oldest first.")
    async def consents(self, info: strawberry.Info[Context, None]) -> list[Consent]:
        return [
            Consent.from_row(row) for row in await info.context.loaders.consents_by_child_id.load(self.db_id)
        ]

    @strawberry.field(description="Interventions for the child you may see, oldest first.")
    async def interventions(self, info: strawberry.Info[Context, None]) -> list[Intervention]:
        rows = await info.context.loaders.interventions_by_child_id.load(self.db_id)
        return [Intervention.from_row(row) for row in rows]

    @strawberry.field(description="Outcomes achieved for the child you may see, oldest first.")
    async def outcomes(self, info: strawberry.Info[Context, None]) -> list[Outcome]:
        return [
            Outcome.from_row(row) for row in await info.context.loaders.outcomes_by_child_id.load(self.db_id)
        ]

    @strawberry.field(description="The child's cases you may see, oldest first.")
    async def cases(
        self, info: strawberry.Info[Context, None]
    ) -> list[Annotated[Case, strawberry.lazy("registry.schema.cases")]]:
        from registry.schema.cases import Case

        rows = await info.context.loaders.cases_by_child_id.load(self.db_id)
        return [Case.from_row(row) for row in rows]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info[Context, None], node_ids: list[str], required: bool = False
    ) -> list[Child | None]:
        loaded = await info.context.loaders.child_by_id.load_many([int(i) for i in node_ids])
        return [cls.from_row(row) if row is not None else None for row in loaded]


@strawberry.input(description="Narrows the list of children. All given conditions must hold.")
class ChildFilter:
    sexes: list[models.Sex] | None = strawberry.field(default=None, description="Only these sexes.")
    within_code: str | None = strawberry.field(
        default=None, description="Only children in the subtree of this jurisdiction (by code)."
    )
    age_bands: list[models.AgeBand] | None = strawberry.field(
        default=None, description="Only children in these age bands today."
    )
    name: str | None = strawberry.field(
        default=None,
        description="Names similar to this one (trigram similarity, tolerant of romanised spelling). Only "
        "children whose identity you may see are searched.",
    )
    identity_number: str | None = strawberry.field(
        default=None,
        description="Exactly this national registration number (separators ignored). Only children whose "
        "identity you may see are searched.",
    )


async def load_child(info: strawberry.Info[Context, None], child_id: int | None) -> Child | None:
    """A child by id if the principal may see it, batched with every other one the request asks for."""
    if child_id is None:
        return None
    row = await info.context.loaders.child_by_id.load(child_id)
    return Child.from_row(row) if row is not None else None
