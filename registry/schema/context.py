"""What every resolver receives: settings, the request's database session, principal and DataLoaders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from registry.auth.permissions import Permission
from registry.auth.policy import CaseInCharge, can_see_identity, case_filter, scope_filter
from registry.auth.principal import Principal
from registry.config import Settings
from registry.db.models import (
    Case,
    CaseEvent,
    CaseKind,
    Child,
    ChildIdentity,
    Consent,
    Household,
    Incident,
    Institution,
    Intervention,
    Jurisdiction,
    Outcome,
    Placement,
    Referral,
    Transfer,
)
from registry.db.queries import cases as case_queries
from registry.db.queries import children as child_queries
from registry.db.queries import incidents as incident_queries
from registry.db.queries import institutions as institution_queries
from registry.db.queries import jurisdictions as jurisdiction_queries
from registry.db.queries import placements as placement_queries
from registry.db.queries.related import rows_by_parent

K = TypeVar("K")
V = TypeVar("V")
D = TypeVar("D")


def _keyed(fetch: Callable[[list[K]], Awaitable[Mapping[K, V]]], default: D) -> DataLoader[K, V | D]:
    """A loader from a query that answers a mapping by key; missing keys get ``default``."""

    async def load(keys: list[K]) -> Sequence[V | D]:
        found = await fetch(keys)
        return [found.get(key, default) for key in keys]

    return DataLoader(load_fn=load)


class DataLoaders:
    """Per-request loaders, so a page of results costs a constant number of statements. Loaders of records
    apply the policy's visibility predicate: what the principal may not see is simply not found."""

    def __init__(self, session: AsyncSession, principal: Principal | None) -> None:
        self.session = session
        self.principal = principal
        visible_children = scope_filter(principal, Permission.CHILDREN_READ, Child.path)
        visible_cases = case_filter(principal, Permission.CASES_READ, Case.path, Case.assigned_to_id)
        self.jurisdiction_by_id: DataLoader[int, Jurisdiction | None] = _keyed(
            lambda ids: jurisdiction_queries.jurisdictions_by_ids(session, ids), None
        )
        self.jurisdictions_by_parent_id: DataLoader[int, list[Jurisdiction]] = _keyed(
            lambda ids: jurisdiction_queries.jurisdictions_by_parent_ids(session, ids), []
        )
        self.child_by_id: DataLoader[int, Child | None] = _keyed(
            lambda ids: child_queries.children_by_ids(session, visible_children, ids), None
        )
        self.case_by_id: DataLoader[int, Case | None] = _keyed(
            lambda ids: case_queries.cases_by_ids(session, visible_cases, ids), None
        )
        self.cases_by_child_id: DataLoader[int, list[Case]] = _keyed(
            lambda ids: case_queries.cases_by_child_ids(session, visible_cases, ids), []
        )
        visible_institutions = scope_filter(principal, Permission.JURISDICTIONS_READ, Institution.path)
        visible_incidents = scope_filter(principal, Permission.INCIDENTS_READ, Incident.path)
        self.institution_by_id: DataLoader[int, Institution | None] = _keyed(
            lambda ids: institution_queries.institutions_by_ids(session, visible_institutions, ids), None
        )
        self.incident_by_id: DataLoader[int, Incident | None] = _keyed(
            lambda ids: incident_queries.incidents_by_ids(session, visible_incidents, ids), None
        )
        visible_households = scope_filter(principal, Permission.CHILDREN_READ, Household.path)
        visible_placements = scope_filter(principal, Permission.INCIDENTS_READ, Placement.path)
        self.household_by_id: DataLoader[int, Household | None] = _keyed(
            lambda ids: child_queries.households_by_ids(session, visible_households, ids), None
        )
        self.children_by_household_id: DataLoader[int, list[Child]] = _keyed(
            lambda ids: child_queries.children_by_household_ids(session, visible_children, ids), []
        )
        self.placements_by_child_id: DataLoader[int, list[Placement]] = _keyed(
            lambda ids: placement_queries.placements_by_child_ids(session, visible_placements, ids), []
        )
        self.referrals_by_case_id: DataLoader[int, list[Referral]] = _keyed(
            lambda ids: rows_by_parent(session, Referral, Referral.case_id, ids, order_by=Referral.id), []
        )
        self.transfers_by_case_id: DataLoader[int, list[Transfer]] = _keyed(
            lambda ids: rows_by_parent(session, Transfer, Transfer.case_id, ids, order_by=Transfer.id), []
        )
        self.consents_by_child_id: DataLoader[int, list[Consent]] = _keyed(
            lambda ids: rows_by_parent(session, Consent, Consent.child_id, ids, order_by=Consent.id), []
        )
        visible_interventions = scope_filter(principal, Permission.CHILDREN_READ, Intervention.path)
        visible_outcomes = scope_filter(principal, Permission.CHILDREN_READ, Outcome.path)
        self.interventions_by_child_id: DataLoader[int, list[Intervention]] = _keyed(
            lambda ids: rows_by_parent(
                session,
                Intervention,
                Intervention.child_id,
                ids,
                order_by=Intervention.id,
                visible=visible_interventions,
            ),
            [],
        )
        self.outcomes_by_child_id: DataLoader[int, list[Outcome]] = _keyed(
            lambda ids: rows_by_parent(
                session, Outcome, Outcome.child_id, ids, order_by=Outcome.id, visible=visible_outcomes
            ),
            [],
        )
        self._identity_by_child_id: DataLoader[int, ChildIdentity | None] = _keyed(
            lambda ids: child_queries.identities_by_child_ids(session, ids), None
        )
        self._events: dict[int, DataLoader[int, list[CaseEvent]]] = {}

    def events_of(self, last: int) -> DataLoader[int, list[CaseEvent]]:
        """Events of cases, the ``last`` most recent of each; one loader (one statement) per ``last``."""
        if last not in self._events:
            self._events[last] = _keyed(
                lambda ids: case_queries.events_of_cases(self.session, ids, last=last), []
            )
        return self._events[last]

    async def identity_of(self, child: Child) -> ChildIdentity | None:
        """The child's identity if the policy allows it; otherwise :class:`PersonalDataWithheld`."""
        from registry.errors import PersonalDataWithheld

        cases: list[Case] = await self.cases_by_child_id.load(child.id) if child.identity_restricted else []
        in_charge = [
            CaseInCharge(case.path, case.kind is CaseKind.CHILD_IN_CONFLICT_WITH_LAW, case.assigned_to_id)
            for case in cases
        ]
        if not can_see_identity(
            self.principal, child.path, restricted=child.identity_restricted, cases=in_charge
        ):
            raise PersonalDataWithheld("Personal data withheld: you may not see this child's identity.")
        return await self._identity_by_child_id.load(child.id)


class Context(BaseContext):
    def __init__(self, settings: Settings, session: AsyncSession, principal: Principal | None) -> None:
        super().__init__()
        self.settings = settings
        self.session = session
        # None for an anonymous request: it may read the public jurisdiction tree and nothing else.
        self.principal = principal
        self.loaders = DataLoaders(session, principal)
