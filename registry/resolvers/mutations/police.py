"""Mutation root fields of police-station monitoring: incidents and placements."""

from __future__ import annotations

import strawberry
from strawberry import relay

from registry.resolvers.mutations import perform
from registry.schema.children import Outcome
from registry.schema.context import Context
from registry.schema.households import Placement, load_placements
from registry.schema.incidents import Incident
from registry.schema.mutations.police import (
    EndPlacementInput,
    EndPlacementPayload,
    RecordIncidentInput,
    RecordIncidentPayload,
    RecordPlacementInput,
    RecordPlacementPayload,
)
from registry.schema.relay import database_id
from registry.services import police as service


def _optional_id(global_id: relay.GlobalID | None, type_name: str, *, field: str) -> int | None:
    return database_id(global_id, type_name, field=field) if global_id is not None else None


async def _placement(info: strawberry.Info[Context, None], placement_id: int | None) -> Placement | None:
    if placement_id is None:
        return None
    row = (await load_placements(info, [placement_id]))[0]
    return Placement.from_row(row) if row is not None else None


async def record_incident(
    info: strawberry.Info[Context, None], input: RecordIncidentInput
) -> RecordIncidentPayload:
    session = info.context.session
    done = await perform(
        info,
        lambda principal: service.record_incident(
            session,
            principal,
            police_station_id=database_id(input.police_station_id, "Institution", field="policeStationId"),
            direction=input.direction,
            offence=input.offence,
            offence_section=input.offence_section,
            fir_number=input.fir_number,
            occurred_on=input.occurred_on,
            child_id=_optional_id(input.child_id, "Child", field="childId"),
            case_id=_optional_id(input.case_id, "Case", field="caseId"),
            idempotency_key=input.idempotency_key,
        ),
    )
    incident = None
    if done.result is not None:
        row = await info.context.loaders.incident_by_id.load(done.result[0])
        incident = Incident.from_row(row) if row is not None else None
    return RecordIncidentPayload(incident=incident, errors=done.errors)


async def record_placement(
    info: strawberry.Info[Context, None], input: RecordPlacementInput
) -> RecordPlacementPayload:
    session = info.context.session
    done = await perform(
        info,
        lambda principal: service.record_placement(
            session,
            principal,
            child_id=database_id(input.child_id, "Child", field="childId"),
            case_id=_optional_id(input.case_id, "Case", field="caseId"),
            institution_id=database_id(input.institution_id, "Institution", field="institutionId"),
            kind=input.kind,
            started_at=input.started_at,
            segregated_from_adults=input.segregated_from_adults,
            psychosocial_support=input.psychosocial_support,
            idempotency_key=input.idempotency_key,
        ),
    )
    placement_id = done.result[0] if done.result is not None else None
    return RecordPlacementPayload(placement=await _placement(info, placement_id), errors=done.errors)


async def end_placement(
    info: strawberry.Info[Context, None], input: EndPlacementInput
) -> EndPlacementPayload:
    session = info.context.session
    done = await perform(
        info,
        lambda principal: service.end_placement(
            session,
            principal,
            placement_id=database_id(input.placement_id, "Placement", field="placementId"),
            version=input.version,
            ended_at=input.ended_at,
            end_reason=input.end_reason,
        ),
    )
    if done.result is None:
        return EndPlacementPayload(placement=None, outcome=None, errors=done.errors)
    placement, outcome = done.result
    return EndPlacementPayload(
        placement=await _placement(info, placement.id),
        outcome=Outcome.from_row(outcome) if outcome is not None else None,
        errors=done.errors,
    )


@strawberry.type
class PoliceMutations:
    record_incident: RecordIncidentPayload = strawberry.mutation(
        resolver=record_incident,
        description="Record an offence by or against a child at a police station where you may record "
        "incidents.",
    )
    record_placement: RecordPlacementPayload = strawberry.mutation(
        resolver=record_placement,
        description="Record that a child is held or housed in an institution (custody, a home, a shelter).",
    )
    end_placement: EndPlacementPayload = strawberry.mutation(
        resolver=end_placement,
        description="End a placement; the outcome it achieves (diverted, released, reunified) is recorded "
        "with it.",
    )
