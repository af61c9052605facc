"""GraphQL types of cases and their event history."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from registry.db import models
from registry.schema.institutions import Institution, load_institution
from registry.schema.jurisdictions import Jurisdiction, load_jurisdiction
from registry.schema.organisations import Organisation, load_organisation
from registry.schema.users import User, load_user

if TYPE_CHECKING:
    from registry.schema.children import Child
    from registry.schema.context import Context

strawberry.enum(models.CaseKind, description="What kind of protection concern a case is.")
strawberry.enum(
    models.CaseStage, description="Workflow stage: REGISTERED → … → CLOSED, and CLOSED → REOPENED."
)
strawberry.enum(models.RiskLevel, description="Assessed risk to the child.")
strawberry.enum(models.CaseEventType, description="What happened to a case.")

strawberry.enum(models.ReferralStatus, description="Where a referral stands.")
strawberry.enum(models.TransferStatus, description="Where a transfer request stands.")
strawberry.enum(models.InterventionType, description="A service or support given to a child or household.")

MAX_EVENTS = 100


def _may_read(info: strawberry.Info[Context, None], *paths: str | None) -> bool:
    """Free texts of referrals and transfers may name people: they need ``pii:read`` over one side."""
    from registry.auth.permissions import Permission
    from registry.auth.policy import can

    return any(path is not None and can(info.context.principal, Permission.PII_READ, path) for path in paths)


def _shown(
    info: strawberry.Info[Context, None], table: str, row_id: int, path: str, what: str, text: str
) -> str:
    """A free text that may name people, on its way to the caller: recorded in the audit trail first."""
    info.context.audit.note_personal_data(table, row_id, path=path, child_id=None, what=what)
    return text


def _withheld(what: str) -> Exception:
    from registry.errors import PersonalDataWithheld

    return PersonalDataWithheld(
        f"Personal data withheld: {what} needs `pii:read` over the case or its recipient."
    )


@strawberry.type(
    description="A case referred to a service at an institution or organisation. Staff of a receiving "
    "institution outside the case's jurisdiction see the referral, not the case."
)
class Referral(relay.Node):
    db_id: relay.NodeID[int]
    service: models.InterventionType = strawberry.field(description="The service asked for.")
    status: models.ReferralStatus = strawberry.field(description="Pending, accepted, declined or completed.")
    version: int = strawberry.field(description="Changes with every answer; send it back to answer safely.")
    requested_at: dt.datetime = strawberry.field(description="When it was made.")
    responded_at: dt.datetime | None = strawberry.field(description="When the receiving side last answered.")
    case_id: strawberry.Private[int]
    to_institution_id: strawberry.Private[int | None]
    to_organisation_id: strawberry.Private[int | None]
    row: strawberry.Private[models.Referral]

    @classmethod
    def from_row(cls, row: models.Referral) -> Referral:
        return cls(
            db_id=row.id,
            service=row.service,
            status=row.status,
            version=row.version,
            requested_at=row.requested_at,
            responded_at=row.responded_at,
            case_id=row.case_id,
            to_institution_id=row.to_institution_id,
            to_organisation_id=row.to_organisation_id,
            row=row,
        )

    @strawberry.field(description="The institution referred to, if one is and you may see it.")
    async def to_institution(self, info: strawberry.Info[Context, None]) -> Institution | None:
        return await load_institution(info, self.to_institution_id)

    @strawberry.field(description="The organisation referred to, if one is.")
    async def to_organisation(self, info: strawberry.Info[Context, None]) -> Organisation | None:
        if self.to_organisation_id is None:
            return None
        return await load_organisation(info, self.to_organisation_id)

    @strawberry.field(description="The case referred; null where you may see the referral but not the case.")
    async def case(self, info: strawberry.Info[Context, None]) -> Case | None:
        return await load_case(info, self.case_id)

    async def _paths(self, info: strawberry.Info[Context, None]) -> tuple[str | None, str | None]:
        case = await info.context.loaders.case_by_id.load(self.case_id)
        institution = (
            await info.context.loaders.institution_by_id.load(self.to_institution_id)
            if self.to_institution_id is not None
            else None
        )
        return (case.path if case else None), (institution.path if institution else None)

    @strawberry.field(description="Why the case was referred (needs `pii:read` over the case or recipient).")
    async def reason(self, info: strawberry.Info[Context, None]) -> str | None:
        if self.row.reason is None:
            return None
        paths = await self._paths(info)
        if not _may_read(info, *paths):
            raise _withheld("the reason")
        return _shown(info, "referrals", self.db_id, next(p for p in paths if p), "reason", self.row.reason)

    @strawberry.field(description="What came of it (needs `pii:read` over the case or recipient).")
    async def outcome(self, info: strawberry.Info[Context, None]) -> str | None:
        if self.row.outcome is None:
            return None
        paths = await self._paths(info)
        if not _may_read(info, *paths):
            raise _withheld("the outcome")
        return _shown(info, "referrals", self.db_id, next(p for p in paths if p), "outcome", self.row.outcome)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info[Context, None], node_ids: list[str], required: bool = False
    ) -> list[Referral | None]:
        from registry.auth.permissions import Permission
        from registry.auth.policy import referral_filter
        from registry.db.queries.referrals import referrals_by_ids

        ids = [int(i) for i in node_ids]
        visible = referral_filter(info.context.principal, Permission.CASES_READ)
        found = await referrals_by_ids(info.context.session, visible, ids)
        return [cls.from_row(found[i]) if i in found else None for i in ids]


@strawberry.type(
    description="A request to move a case to another jurisdiction, answered by the receiving side. Both "
    "sides see it; the receiving side sees the case only once it has accepted."
)
class Transfer(relay.Node):
    db_id: relay.NodeID[int]
    status: models.TransferStatus = strawberry.field(
        description="Requested, accepted, rejected or cancelled."
    )
    version: int = strawberry.field(description="Changes with every answer; send it back to answer safely.")
    requested_at: dt.datetime = strawberry.field(description="When it was requested.")
    responded_at: dt.datetime | None = strawberry.field(
        description="When it was answered (or cancelled); null while open."
    )
    case_id: strawberry.Private[int]
    from_jurisdiction_id: strawberry.Private[int]
    to_jurisdiction_id: strawberry.Private[int]
    row: strawberry.Private[models.Transfer]

    @classmethod
    def from_row(cls, row: models.Transfer) -> Transfer:
        return cls(
            db_id=row.id,
            status=row.status,
            version=row.version,
            requested_at=row.requested_at,
            responded_at=row.responded_at,
            case_id=row.case_id,
            from_jurisdiction_id=row.from_jurisdiction_id,
            to_jurisdiction_id=row.to_jurisdiction_id,
            row=row,
        )

    @strawberry.field(description="The sending jurisdiction.")
    async def from_jurisdiction(self, info: strawberry.Info[Context, None]) -> Jurisdiction | None:
        return await load_jurisdiction(info, self.from_jurisdiction_id)

    @strawberry.field(description="The receiving jurisdiction.")
    async def to_jurisdiction(self, info: strawberry.Info[Context, None]) -> Jurisdiction | None:
        return await load_jurisdiction(info, self.to_jurisdiction_id)

    @strawberry.field(
        description="The case, when you may see it: the sending side until it is accepted, the receiving "
        "side from then on."
    )
    async def case(self, info: strawberry.Info[Context, None]) -> Case | None:
        return await load_case(info, self.case_id)

    @strawberry.field(description="Why the move was asked for (needs `pii:read` over either side).")
    def reason(self, info: strawberry.Info[Context, None]) -> str:
        if not _may_read(info, self.row.from_path, self.row.to_path):
            raise _withheld("the reason")
        return _shown(info, "transfers", self.db_id, self.row.from_path, "reason", self.row.reason)

    @strawberry.field(description="The answer's note (needs `pii:read` over either side).")
    def response_note(self, info: strawberry.Info[Context, None]) -> str | None:
        if self.row.response_note is None:
            return None
        if not _may_read(info, self.row.from_path, self.row.to_path):
            raise _withheld("the note")
        return _shown(
            info, "transfers", self.db_id, self.row.from_path, "responseNote", self.row.response_note
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info[Context, None], node_ids: list[str], required: bool = False
    ) -> list[Transfer | None]:
        from registry.auth.permissions import Permission
        from registry.auth.policy import transfer_filter
        from registry.db.queries.transfers import transfers_by_ids

        ids = [int(i) for i in node_ids]
        visible = transfer_filter(info.context.principal, Permission.CASES_READ)
        found = await transfers_by_ids(info.context.session, visible, ids)
        return [cls.from_row(found[i]) if i in found else None for i in ids]


@strawberry.type(description="One entry of a case's append-only history.")
class CaseEvent:
    type: models.CaseEventType = strawberry.field(description="What happened.")
    occurred_at: dt.datetime = strawberry.field(description="When it happened.")
    from_stage: models.CaseStage | None = strawberry.field(description="Stage before, for stage changes.")
    to_stage: models.CaseStage | None = strawberry.field(description="Stage after, for stage changes.")
    row: strawberry.Private[models.CaseEvent]
    case_path: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: models.CaseEvent, case_path: str) -> CaseEvent:
        return cls(
            type=row.type,
            occurred_at=row.occurred_at,
            from_stage=row.from_stage,
            to_stage=row.to_stage,
            row=row,
            case_path=case_path,
        )

    @strawberry.field(description="The person who did it; null for an API client or if not yours to see.")
    async def actor(self, info: strawberry.Info[Context, None]) -> User | None:
        return await load_user(info, self.row.actor_user_id)

    @strawberry.field(
        description="The note or reason written with it (may name people: needs `pii:read` over the case)."
    )
    def note(self, info: strawberry.Info[Context, None]) -> str | None:
        from registry.auth.permissions import Permission
        from registry.auth.policy import can
        from registry.errors import PersonalDataWithheld

        if self.row.note is None:
            return None
        if not can(info.context.principal, Permission.PII_READ, self.case_path):
            raise PersonalDataWithheld("Personal data withheld: notes need `pii:read` over the case.")
        return _shown(info, "cases", self.row.case_id, self.case_path, "notes", self.row.note)


@strawberry.type(description="One protection concern about one child, owned by one jurisdiction.")
class Case(relay.Node):
    db_id: relay.NodeID[int]
    case_number: str = strawberry.field(description="The case number people use.")
    kind: models.CaseKind = strawberry.field(description="What kind of concern.")
    stage: models.CaseStage = strawberry.field(description="Where the case is in its workflow.")
    risk_level: models.RiskLevel = strawberry.field(description="Assessed risk.")
    version: int = strawberry.field(description="Changes with every update; send it back to update safely.")
    opened_at: dt.datetime = strawberry.field(description="When the case was opened.")
    closed_at: dt.datetime | None = strawberry.field(description="When it was closed; null while open.")
    child_id: strawberry.Private[int]
    jurisdiction_id: strawberry.Private[int]
    institution_id: strawberry.Private[int | None]
    assigned_to_id: strawberry.Private[int | None]
    path: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: models.Case) -> Case:
        return cls(
            db_id=row.id,
            case_number=row.case_number,
            kind=row.kind,
            stage=row.stage,
            risk_level=row.risk_level,
            version=row.version,
            opened_at=row.opened_at,
            closed_at=row.closed_at,
            child_id=row.child_id,
            jurisdiction_id=row.jurisdiction_id,
            institution_id=row.institution_id,
            assigned_to_id=row.assigned_to_id,
            path=row.path,
        )

    @strawberry.field(description="The jurisdiction that owns the case.")
    async def jurisdiction(self, info: strawberry.Info[Context, None]) -> Jurisdiction | None:
        return await load_jurisdiction(info, self.jurisdiction_id)

    @strawberry.field(description="The caseworker the case is assigned to; null if none or not yours to see.")
    async def assigned_to(self, info: strawberry.Info[Context, None]) -> User | None:
        return await load_user(info, self.assigned_to_id)

    @strawberry.field(description="The child the case is about; null if you may not see the child.")
    async def child(
        self, info: strawberry.Info[Context, None]
    ) -> Annotated[Child, strawberry.lazy("registry.schema.children")] | None:
        from registry.schema.children import load_child

        return await load_child(info, self.child_id)

    @strawberry.field(description="The institution serving the child for this case, if any.")
    async def institution(self, info: strawberry.Info[Context, None]) -> Institution | None:
        return await load_institution(info, self.institution_id)

    @strawberry.field(description="Referrals of this case, oldest first.")
    async def referrals(self, info: strawberry.Info[Context, None]) -> list[Referral]:
        rows = await info.context.loaders.referrals_by_case_id.load(self.db_id)
        return [Referral.from_row(row) for row in rows]

    @strawberry.field(description="Transfer requests of this case, oldest first.")
    async def transfers(self, info: strawberry.Info[Context, None]) -> list[Transfer]:
        rows = await info.context.loaders.transfers_by_case_id.load(self.db_id)
        return [Transfer.from_row(row) for row in rows]

    @strawberry.field(description="The most recent events, newest first.")
    async def events(
        self,
        info: strawberry.Info[Context, None],
        last: Annotated[
            int, strawberry.argument(description="How many of the latest events (at most 100).")
        ] = 20,
    ) -> list[CaseEvent]:
        from registry.errors import InvalidInput

        if not 0 <= last <= MAX_EVENTS:
            raise InvalidInput(f"`last` must be between 0 and {MAX_EVENTS}.", field="last")
        rows = await info.context.loaders.events_of(last).load(self.db_id)
        return [CaseEvent.from_row(row, self.path) for row in rows]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info[Context, None], node_ids: list[str], required: bool = False
    ) -> list[Case | None]:
        loaded = await info.context.loaders.case_by_id.load_many([int(i) for i in node_ids])
        return [cls.from_row(row) if row is not None else None for row in loaded]


@strawberry.input(description="Narrows the list of cases. All given conditions must hold.")
class CaseFilter:
    kinds: list[models.CaseKind] | None = strawberry.field(default=None, description="Only these kinds.")
    stages: list[models.CaseStage] | None = strawberry.field(default=None, description="Only these stages.")
    risk_levels: list[models.RiskLevel] | None = strawberry.field(
        default=None, description="Only these risks."
    )
    within_code: str | None = strawberry.field(
        default=None, description="Only cases in the subtree of this jurisdiction (by code)."
    )
    levels: list[models.JurisdictionLevel] | None = strawberry.field(
        default=None,
        description="Only cases owned by a jurisdiction at one of these levels (e.g. DISTRICT).",
    )
    assigned_to: relay.GlobalID | None = strawberry.field(
        default=None, description="Only cases assigned to this person (a `User` ID)."
    )
    unassigned: bool | None = strawberry.field(
        default=None, description="Only cases without (true) or with (false) an assigned caseworker."
    )
    open: bool | None = strawberry.field(
        default=None, description="Only open (true) or closed (false) cases."
    )
    opened_from: dt.datetime | None = strawberry.field(
        default=None, description="Opened at or after this time."
    )
    opened_before: dt.datetime | None = strawberry.field(default=None, description="Opened before this time.")
    closed_from: dt.datetime | None = strawberry.field(
        default=None, description="Closed at or after this time."
    )
    closed_before: dt.datetime | None = strawberry.field(default=None, description="Closed before this time.")


@strawberry.input(description="Narrows the list of transfer requests. All given conditions must hold.")
class TransferFilter:
    statuses: list[models.TransferStatus] | None = strawberry.field(
        default=None, description="Only these statuses (e.g. REQUESTED: waiting for an answer)."
    )
    incoming: bool | None = strawberry.field(
        default=None, description="Only requests to (true) or not to (false) your jurisdictions."
    )
    outgoing: bool | None = strawberry.field(
        default=None, description="Only requests from (true) or not from (false) your jurisdictions."
    )


@strawberry.input(description="Narrows the list of referrals. All given conditions must hold.")
class ReferralFilter:
    statuses: list[models.ReferralStatus] | None = strawberry.field(
        default=None, description="Only these statuses (e.g. PENDING: waiting for an answer)."
    )
    to_institution: relay.GlobalID | None = strawberry.field(
        default=None, description="Only referrals to this institution."
    )
    incoming: bool | None = strawberry.field(
        default=None,
        description="Only referrals to (true) or not to (false) your jurisdictions' institutions.",
    )


async def load_case(info: strawberry.Info[Context, None], case_id: int | None) -> Case | None:
    """A case by id if the principal may see it, batched with every other one the request asks for."""
    if case_id is None:
        return None
    row = await info.context.loaders.case_by_id.load(case_id)
    return Case.from_row(row) if row is not None else None
