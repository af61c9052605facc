"""Inputs and payloads of police-station monitoring: incidents, and placements in custody or care."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry import relay

from registry.db import models
from registry.schema.children import Outcome
from registry.schema.errors import MutationError
from registry.schema.households import Placement
from registry.schema.incidents import Incident
from registry.schema.mutations.cases import IDEMPOTENCY_KEY


@strawberry.input(
    description="An offence by or against a child, recorded at a police station (needs `incidents:write` "
    "over the station)."
)
class RecordIncidentInput:
    police_station_id: relay.GlobalID = strawberry.field(
        description="The police station (an `Institution` of type POLICE_STATION)."
    )
    direction: models.IncidentDirection = strawberry.field(
        description="BY_CHILD (the child is accused) or AGAINST_CHILD; kept apart in every list."
    )
    offence: models.OffenceCategory = strawberry.field(description="Category of the offence.")
    offence_section: str | None = strawberry.field(
        default=None, description="The legal provision as in the FIR, e.g. `PPC 379` (at most 64 characters)."
    )
    fir_number: str | None = strawberry.field(
        default=None, description="The First Information Report's number (at most 64 characters)."
    )
    occurred_on: dt.date = strawberry.field(description="When it happened; not in the future.")
    child_id: relay.GlobalID | None = strawberry.field(
        default=None,
        description="The child concerned, if known. An offence the child is accused of restricts the "
        "child's identity (juvenile justice law).",
    )
    case_id: relay.GlobalID | None = strawberry.field(
        default=None,
        description="The case to file it under (one you may write; about the child): its history records "
        "the incident. The child defaults to the case's.",
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input(
    description="A child held or housed in an institution. Placements at police level (ARREST, "
    "POLICE_CUSTODY, CHILD_PROTECTION_CENTRE) need `incidents:write`, others `cases:write`, over the "
    "institution."
)
class RecordPlacementInput:
    child_id: relay.GlobalID = strawberry.field(description="The child placed.")
    case_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The case to file it under (one you may write; about the child)."
    )
    institution_id: relay.GlobalID = strawberry.field(
        description="Where: ARREST at a police station; POLICE_CUSTODY at a police station or child "
        "protection centre; CHILD_PROTECTION_CENTRE, OBSERVATION_HOME, JUVENILE_REHABILITATION (a juvenile "
        "rehabilitation centre) and PRISON at one of that type; SHELTER and ALTERNATIVE_CARE at a shelter or "
        "child protection institution."
    )
    kind: models.PlacementKind = strawberry.field(description="What kind of placement.")
    started_at: dt.datetime = strawberry.field(
        description="When it began, with the time zone; not in the future."
    )
    segregated_from_adults: bool = strawberry.field(
        description="Whether the child is kept apart from adults."
    )
    psychosocial_support: bool = strawberry.field(
        default=False, description="Whether the child receives psychosocial support."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input(description="The end of a placement: release, diversion, transfer, ...")
class EndPlacementInput:
    placement_id: relay.GlobalID = strawberry.field(description="The placement.")
    version: int = strawberry.field(
        description="The `version` of the placement you read; refused with CONFLICT if it has changed since."
    )
    ended_at: dt.datetime = strawberry.field(
        description="When it ended, with the time zone; after it started, not in the future."
    )
    end_reason: models.PlacementEndReason = strawberry.field(
        description="How it ended. DIVERTED records the outcome DIVERTED_FROM_JUSTICE_SYSTEM; a release from "
        "detention RELEASED_FROM_DETENTION; release to the family from a shelter or alternative care "
        "REUNIFIED_WITH_FAMILY. Bail, diversion, acquittal and a completed sentence end detentions only."
    )


@strawberry.type(description="The recorded incident.")
class RecordIncidentPayload:
    incident: Incident | None = strawberry.field(description="The incident; null when errors are given.")
    errors: list[MutationError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type(description="The recorded placement.")
class RecordPlacementPayload:
    placement: Placement | None = strawberry.field(description="The placement; null when errors are given.")
    errors: list[MutationError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type(description="The ended placement, and the outcome its end achieved.")
class EndPlacementPayload:
    placement: Placement | None = strawberry.field(description="The placement; null when errors are given.")
    outcome: Outcome | None = strawberry.field(
        description="The outcome recorded with the end (diverted, released, reunified), if any."
    )
    errors: list[MutationError] = strawberry.field(description="Why nothing was changed.")
