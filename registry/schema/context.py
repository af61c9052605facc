"""What every resolver receives: settings, the request's database session, principal and DataLoaders."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from registry.auth.permissions import Permission
from registry.auth.policy import (
    CaseInCharge,
    can,
    can_see_identity,
    cases_open_to,
    child_filter,
    role_assignment_filter,
    scope_filter,
    user_filter,
)
from registry.auth.principal import Principal
from registry.config import Settings
from registry.db.models import (
    Base,
    Case,
    CaseEvent,
    CaseKind,
    Child,
    ChildIdentity,
    Consent,
    Guardian,
    Household,
    Incident,
    Institution,
    Intervention,
    Jurisdiction,
    Organisation,
    Outcome,
    Placement,
    Programme,
    Referral,
    RoleAssignment,
    Transfer,
    User,
)
from registry.db.queries import cases as case_queries
from registry.db.queries import children as child_queries
from registry.db.queries import consents as consent_queries
from registry.db.queries import incidents as incident_queries
from registry.db.queries import institutions as institution_queries
from registry.db.queries import jurisdictions as jurisdiction_queries
from registry.db.queries import organisations as organisation_queries
from registry.db.queries import placements as placement_queries
from registry.db.queries import programmes as programme_queries
from registry.db.queries import users as user_queries
from registry.db.queries.related import rows_by_parent
from registry.identity_numbers import IdentityNumberVault
from registry.services.audit import AuditTrail

M = TypeVar("M", bound=Base)
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
    apply the policy's visibility predicate: what the principal may not see is simply not found. Each loader
    (and predicate) is made on first use, so a request pays only for what its query touches."""

    def __init__(self, session: AsyncSession, principal: Principal | None, audit: AuditTrail) -> None:
        self.session = session
        self.principal = principal
        self.audit = audit
        # Loaders that depend on arguments (how many events, which page of a nested list): one per variant.
        self._variants: dict[Hashable, DataLoader[Any, Any]] = {}

    def _visible(self, permission: Permission, path: Any) -> ColumnElement[bool]:
        return scope_filter(self.principal, permission, path)

    @cached_property
    def _visible_cases(self) -> ColumnElement[bool]:
        return cases_open_to(self.principal, Permission.CASES_READ)

    @cached_property
    def jurisdiction_by_id(self) -> DataLoader[int, Jurisdiction | None]:
        return _keyed(lambda ids: jurisdiction_queries.jurisdictions_by_ids(self.session, ids), None)

    @cached_property
    def jurisdictions_by_parent_id(self) -> DataLoader[int, list[Jurisdiction]]:
        return _keyed(lambda ids: jurisdiction_queries.jurisdictions_by_parent_ids(self.session, ids), [])

    @cached_property
    def _visible_children(self) -> ColumnElement[bool]:
        return child_filter(self.principal, Permission.CHILDREN_READ, Child.path, Child.id)

    @cached_property
    def child_by_id(self) -> DataLoader[int, Child | None]:
        visible = self._visible_children
        return _keyed(lambda ids: child_queries.children_by_ids(self.session, visible, ids), None)

    @cached_property
    def case_by_id(self) -> DataLoader[int, Case | None]:
        return _keyed(lambda ids: case_queries.cases_by_ids(self.session, self._visible_cases, ids), None)

    @cached_property
    def cases_by_child_id(self) -> DataLoader[int, list[Case]]:
        return _keyed(lambda ids: case_queries.cases_by_child_ids(self.session, self._visible_cases, ids), [])

    @cached_property
    def institution_by_id(self) -> DataLoader[int, Institution | None]:
        visible = self._visible(Permission.JURISDICTIONS_READ, Institution.path)
        return _keyed(lambda ids: institution_queries.institutions_by_ids(self.session, visible, ids), None)

    @cached_property
    def incident_by_id(self) -> DataLoader[int, Incident | None]:
        visible = self._visible(Permission.INCIDENTS_READ, Incident.path)
        return _keyed(lambda ids: incident_queries.incidents_by_ids(self.session, visible, ids), None)

    @cached_property
    def household_by_id(self) -> DataLoader[int, Household | None]:
        visible = self._visible(Permission.CHILDREN_READ, Household.path)
        return _keyed(lambda ids: child_queries.households_by_ids(self.session, visible, ids), None)

    @cached_property
    def children_by_household_id(self) -> DataLoader[int, list[Child]]:
        visible = self._visible_children
        return _keyed(lambda ids: child_queries.children_by_household_ids(self.session, visible, ids), [])

    @cached_property
    def placements_by_child_id(self) -> DataLoader[int, list[Placement]]:
        visible = self._visible(Permission.INCIDENTS_READ, Placement.path)
        return _keyed(lambda ids: placement_queries.placements_by_child_ids(self.session, visible, ids), [])

    @cached_property
    def referrals_by_case_id(self) -> DataLoader[int, list[Referral]]:
        return self._children_of(Referral, Referral.case_id, Referral.id)

    @cached_property
    def transfers_by_case_id(self) -> DataLoader[int, list[Transfer]]:
        return self._children_of(Transfer, Transfer.case_id, Transfer.id)

    @cached_property
    def consents_by_child_id(self) -> DataLoader[int, list[Consent]]:
        return self._children_of(Consent, Consent.child_id, Consent.id)

    @cached_property
    def consent_by_id(self) -> DataLoader[int, Consent | None]:
        """Consents whose child the principal may see (as the child's own loader decides)."""
        visible = self._visible_children
        return _keyed(lambda ids: consent_queries.consents_by_ids(self.session, visible, ids), None)

    @cached_property
    def guardian_by_id(self) -> DataLoader[int, Guardian | None]:
        """Guardians by id; their child's visibility and personal-data rule are for the caller to apply."""
        return _keyed(lambda ids: child_queries.guardians_by_ids(self.session, ids), None)

    @cached_property
    def interventions_by_child_id(self) -> DataLoader[int, list[Intervention]]:
        visible = self._visible(Permission.CHILDREN_READ, Intervention.path)
        return self._children_of(Intervention, Intervention.child_id, Intervention.id, visible)

    @cached_property
    def intervention_by_id(self) -> DataLoader[int, Intervention | None]:
        visible = self._visible(Permission.CHILDREN_READ, Intervention.path)
        return _keyed(lambda ids: programme_queries.interventions_by_ids(self.session, visible, ids), None)

    @cached_property
    def outcomes_by_child_id(self) -> DataLoader[int, list[Outcome]]:
        visible = self._visible(Permission.CHILDREN_READ, Outcome.path)
        return self._children_of(Outcome, Outcome.child_id, Outcome.id, visible)

    @cached_property
    def organisation_by_id(self) -> DataLoader[int, Organisation | None]:
        return _keyed(lambda ids: organisation_queries.organisations_by_ids(self.session, ids), None)

    @cached_property
    def programme_by_id(self) -> DataLoader[int, Programme | None]:
        return _keyed(lambda ids: organisation_queries.programmes_by_ids(self.session, ids), None)

    @cached_property
    def user_by_id(self) -> DataLoader[int, User | None]:
        visible = user_filter(self.principal, User.id)
        return _keyed(lambda ids: user_queries.users_by_ids(self.session, visible, ids), None)

    @cached_property
    def role_assignments_by_user_id(self) -> DataLoader[int, list[RoleAssignment]]:
        visible = role_assignment_filter(self.principal, RoleAssignment.user_id, RoleAssignment.path)
        return _keyed(lambda ids: user_queries.role_assignments_by_user_ids(self.session, visible, ids), [])

    @cached_property
    def _guardians_by_child_id(self) -> DataLoader[int, list[Guardian]]:
        return self._children_of(Guardian, Guardian.child_id, Guardian.id)

    @cached_property
    def _identity_by_child_id(self) -> DataLoader[int, ChildIdentity | None]:
        return _keyed(lambda ids: child_queries.identities_by_child_ids(self.session, ids), None)

    def _children_of(
        self, model: type[M], parent: Any, order_by: Any, visible: ColumnElement[bool] | None = None
    ) -> DataLoader[int, list[M]]:
        empty: list[M] = []
        return _keyed(
            lambda ids: rows_by_parent(self.session, model, parent, ids, order_by=order_by, visible=visible),
            empty,
        )

    def variant(
        self, key: Hashable, fetch: Callable[[list[K]], Awaitable[Mapping[K, V]]], default: D
    ) -> DataLoader[K, V | D]:
        """The loader for ``key`` (say, a nested list's filter and page), made on first use: all parents
        asking the same variant share one batch."""
        if key not in self._variants:
            self._variants[key] = _keyed(fetch, default)
        loader: DataLoader[K, V | D] = self._variants[key]
        return loader

    def events_of(self, last: int) -> DataLoader[int, list[CaseEvent]]:
        """Events of cases, the ``last`` most recent of each; one loader (one statement) per ``last``."""
        empty: list[CaseEvent] = []
        return self.variant(
            ("events", last), lambda ids: case_queries.events_of_cases(self.session, ids, last=last), empty
        )

    async def identity_of(self, child: Child) -> ChildIdentity | None:
        """The child's identity if the policy allows it; otherwise :class:`PersonalDataWithheld`."""
        return await self._personal_data(child, self._identity_by_child_id, "identity")

    async def guardians_of(self, child: Child) -> list[Guardian]:
        """The child's guardians (personal data, under the same rule as the child's identity)."""
        return await self._personal_data(child, self._guardians_by_child_id, "guardians")

    async def _personal_data(self, child: Child, loader: DataLoader[int, V], what: str) -> V:
        from registry.errors import PersonalDataWithheld

        withheld = PersonalDataWithheld("Personal data withheld: you may not see this child's identity.")
        if not can(self.principal, Permission.PII_READ, child.path):
            raise withheld
        if not child.identity_restricted:
            return self._returned(child, what, await loader.load(child.id))
        # Loaded alongside the child's cases, so restricted and unrestricted children share one batch, and
        # always awaited, so no query outlives the request; what the check refuses is never returned.
        found, cases = await asyncio.gather(loader.load(child.id), self.cases_by_child_id.load(child.id))
        in_charge = [
            CaseInCharge(case.path, case.kind is CaseKind.CHILD_IN_CONFLICT_WITH_LAW, case.assigned_to_id)
            for case in cases
        ]
        if not can_see_identity(self.principal, child.path, restricted=True, cases=in_charge):
            raise withheld
        return self._returned(child, what, found)

    def _returned(self, child: Child, what: str, found: V) -> V:
        """Personal data on its way to the caller goes into the request's audit trail first."""
        if found:
            self.audit.note_personal_data("children", child.id, path=child.path, child_id=child.id, what=what)
        return found


class Context(BaseContext):
    def __init__(
        self,
        settings: Settings,
        session: AsyncSession,
        principal: Principal | None,
        identity_numbers: IdentityNumberVault,
        audit: AuditTrail,
    ) -> None:
        super().__init__()
        # What this request changes and which personal data it returns, recorded before the answer leaves.
        self.audit = audit
        self.settings = settings
        self.identity_numbers = identity_numbers
        self.session = session
        # None for an anonymous request: it may read the public jurisdiction tree and nothing else.
        self.principal = principal
        self.loaders = DataLoaders(session, principal, audit)
