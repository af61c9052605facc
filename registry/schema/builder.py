"""Builds the schema once: root types, extensions, caches."""

from __future__ import annotations

import functools

import strawberry
from strawberry import relay
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from registry.fastpath.extension import CompiledReads
from registry.limits.extension import QueryLimits
from registry.observability.operations import OperationMetrics
from registry.resolvers import audit as audit_resolvers
from registry.resolvers import cases as case_resolvers
from registry.resolvers import children as child_resolvers
from registry.resolvers import institutions as institution_resolvers
from registry.resolvers import jurisdictions as jurisdiction_resolvers
from registry.resolvers import nodes as node_resolvers
from registry.resolvers import users as user_resolvers
from registry.resolvers.case_statistics import CaseStatisticsQueries
from registry.resolvers.incident_statistics import IncidentStatisticsQueries
from registry.resolvers.mutations.administration import AdministrationMutations
from registry.resolvers.mutations.api_clients import ApiClientMutations
from registry.resolvers.mutations.cases import CaseMutations
from registry.resolvers.mutations.children import ChildMutations
from registry.resolvers.mutations.police import PoliceMutations
from registry.resolvers.mutations.programmes import ProgrammeMutations
from registry.resolvers.mutations.referrals import ReferralMutations, TransferMutations
from registry.resolvers.programme_indicators import ProgrammeIndicatorQueries
from registry.schema.audit import AuditEvent
from registry.schema.cases import Case, Referral, Transfer
from registry.schema.children import Child
from registry.schema.extensions import RecordPersonalDataReads, RefuseTextWithNul
from registry.schema.hardening import MaskUnexpectedErrors, ProductionRules, RegistrySchema
from registry.schema.incidents import Incident
from registry.schema.institutions import Institution
from registry.schema.jurisdictions import Jurisdiction
from registry.schema.relay import Connection
from registry.schema.users import Viewer


@strawberry.type
class RecordQueries:
    node: relay.Node | None = strawberry.field(
        resolver=node_resolvers.node, description="Any object by its global ID; null when not found."
    )
    nodes: list[relay.Node | None] = strawberry.field(
        resolver=node_resolvers.nodes,
        description="Objects by their global IDs (at most 100), in the same order; null where not found.",
    )

    jurisdiction: Jurisdiction | None = strawberry.field(
        resolver=jurisdiction_resolvers.jurisdiction,
        description="One node of the jurisdiction tree by its code (`PK`, `PK-PB`, `PK-KP-PESHAWAR`, ...).",
    )
    jurisdictions: Connection[Jurisdiction] = strawberry.field(
        resolver=jurisdiction_resolvers.jurisdictions,
        description="Nodes of the jurisdiction tree in a stable order, paged and filtered.",
    )
    cases: Connection[Case] = strawberry.field(
        resolver=case_resolvers.cases,
        description="Cases you may see, newest first, paged and filtered.",
    )
    transfers: Connection[Transfer] = strawberry.field(
        resolver=case_resolvers.transfers,
        description="Transfer requests you may see (of your cases, from or to your jurisdictions), newest "
        "first; `filter: {incoming: true, statuses: [REQUESTED]}` lists those waiting for your answer.",
    )
    referrals: Connection[Referral] = strawberry.field(
        resolver=case_resolvers.referrals,
        description="Referrals you may see (of your cases, or to institutions in your jurisdictions), newest "
        "first; `filter: {incoming: true, statuses: [PENDING]}` lists those waiting for your answer.",
    )
    children: Connection[Child] = strawberry.field(
        resolver=child_resolvers.children,
        description="Children you may see, newest first, paged and filtered.",
    )
    institutions: Connection[Institution] = strawberry.field(
        resolver=institution_resolvers.institutions,
        description="Institutions in your jurisdictions, in a stable order, paged and filtered.",
    )
    incidents: Connection[Incident] = strawberry.field(
        resolver=institution_resolvers.incidents,
        description="Police-station incidents you may see, newest first; filter by direction to keep "
        "offences by children and against children apart.",
    )
    audit_events: Connection[AuditEvent] = strawberry.field(
        resolver=audit_resolvers.audit_events,
        description="The audit trail inside your `audit:read` scope, newest first: who changed what, and who "
        "was shown whose personal data. Never personal data itself.",
    )
    viewer: Viewer | None = strawberry.field(
        resolver=user_resolvers.viewer,
        description="Who is asking and what they hold; null without a token.",
    )


# Records, plus one type per domain of figures, merged into the root query type.
QUERY_TYPES: tuple[type, ...] = (
    RecordQueries,
    CaseStatisticsQueries,
    IncidentStatisticsQueries,
    ProgrammeIndicatorQueries,
)
Query = merge_types("Query", QUERY_TYPES)
Query.__strawberry_definition__.description = "Read the registry."  # type: ignore[attr-defined]


# One type per domain, merged: each domain's mutations live in ``registry.resolvers.mutations.<domain>``.
MUTATION_TYPES: tuple[type, ...] = (
    AdministrationMutations,
    ApiClientMutations,
    CaseMutations,
    ChildMutations,
    PoliceMutations,
    ProgrammeMutations,
    ReferralMutations,
    TransferMutations,
)
Mutation = merge_types("Mutation", MUTATION_TYPES)
Mutation.__strawberry_definition__.description = (  # type: ignore[attr-defined]
    "Change the registry. Each mutation takes one `input` and returns a payload with typed `errors`."
)


@functools.cache
def build_schema() -> strawberry.Schema:
    """The schema, built once per process: Strawberry writes resolvers into the type classes when it
    builds, so two schemas over the same types would interfere."""
    return RegistrySchema(
        query=Query,
        mutation=Mutation,
        config=StrawberryConfig(auto_camel_case=True),
        extensions=[
            # First, so it leaves last and counts each answer as sent.
            OperationMetrics,
            # Query limits and the rate limit, before anything runs.
            QueryLimits,
            # Factories: a fresh extension per request; the caches themselves are shared per process.
            lambda: ParserCache(maxsize=1024),
            lambda: ValidationCache(maxsize=1024),
            ProductionRules,
            MaskUnexpectedErrors,
            # Text the database cannot store is refused before anything runs.
            RefuseTextWithNul,
            RecordPersonalDataReads,
            # Last: answers the operations it compiles, once every check above has let them through.
            CompiledReads,
        ],
    )
