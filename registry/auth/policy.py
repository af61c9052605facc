"""The one place that decides who may do what on which record.

Every read path asks :func:`scope_filter` for the predicate that limits a query to what the principal may see
with a permission; single records go through :func:`can`. Records outside are *not found*, never "forbidden".
The same jurisdiction rule is repeated by PostgreSQL row-level security (:func:`row_security_scopes`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, cast, false, func, literal, null, or_, select, true
from sqlalchemy.types import Text

from registry.auth.permissions import ROLE_PERMISSIONS, Permission, parse_scopes
from registry.auth.principal import Grant, Principal, PrincipalKind, role_grant
from registry.db.models import PlacementKind, Role
from registry.db.models.base import path_id_columns
from registry.db.types import LqueryArray

# Permissions that open individual child, case or incident records. Only grants holding one of them
# contribute to the row-level security scope of records.
RECORD_PERMISSIONS = frozenset(
    {
        Permission.CHILDREN_READ,
        Permission.CHILDREN_WRITE,
        Permission.CASES_READ,
        Permission.CASES_WRITE,
        Permission.PII_READ,
        Permission.INCIDENTS_READ,
        Permission.INCIDENTS_WRITE,
    }
)

# Permissions that let a principal see the staff holding roles inside the grant's subtree.
STAFF_VISIBLE_WITH = frozenset(
    {
        Permission.USERS_MANAGE,
        Permission.CASES_READ,
        Permission.CHILDREN_READ,
        Permission.INCIDENTS_READ,
        Permission.AUDIT_READ,
    }
)


@dataclass(frozen=True, slots=True)
class Assignment:
    role: Role
    jurisdiction_id: int
    path: str


def is_within(path: str, ancestor: str) -> bool:
    """``path`` is ``ancestor`` or below it."""
    return path == ancestor or path.startswith(ancestor + ".")


def user_principal(
    user_id: int,
    username: str,
    organisation_id: int,
    assignments: Iterable[Assignment],
    *,
    token_id: str | None,
) -> Principal:
    grants = tuple(role_grant(a.role, a.jurisdiction_id, a.path) for a in assignments)
    return Principal(PrincipalKind.USER, user_id, username, organisation_id, grants, token_id=token_id)


def client_principal(
    client_id: int,
    name: str,
    organisation_id: int,
    *,
    scopes: Iterable[str],
    jurisdiction_id: int,
    path: str,
    created_by_user_id: int,
    creator_assignments: Iterable[Assignment],
    token_scope: str | None,
    token_id: str | None,
) -> Principal:
    """An API client holds its scopes at its jurisdiction, never more than its creator holds there now,
    and never more than the token was issued for."""
    held_by_creator: set[Permission] = set()
    for assignment in creator_assignments:
        if is_within(path, assignment.path):
            held_by_creator |= ROLE_PERMISSIONS[assignment.role]
    permissions = parse_scopes(" ".join(scopes)) & held_by_creator
    if token_scope is not None:
        permissions &= parse_scopes(token_scope)
    grants = (Grant(frozenset(permissions), jurisdiction_id, path),) if permissions else ()
    return Principal(
        PrincipalKind.CLIENT,
        client_id,
        name,
        organisation_id,
        grants,
        created_by_user_id=created_by_user_id,
        token_id=token_id,
    )


def can(principal: Principal | None, permission: Permission, path: str) -> bool:
    """May ``principal`` use ``permission`` on a record at ``path``?"""
    if principal is None:
        return False
    return any(permission in grant.permissions and is_within(path, grant.path) for grant in principal.grants)


@dataclass(frozen=True, slots=True)
class CaseInCharge:
    """What identity rules need to know of one of a child's cases."""

    path: str
    kind_in_conflict_with_law: bool
    assigned_to_id: int | None


# Who supervises a case's worker and may therefore see the identity of a child in conflict with the law.
SUPERVISING_ROLES = frozenset({Role.DISTRICT_OFFICER, Role.PROVINCIAL_MANAGER})


# Who may hold a case: the roles that work cases.
CASEWORK_ROLES = frozenset({Role.CASE_WORKER, Role.DISTRICT_OFFICER, Role.PROVINCIAL_MANAGER})


def supervises(principal: Principal, path: str) -> bool:
    """A supervising officer over the record at ``path``: may assign its cases, approve the closure of
    high-risk ones. Only people supervise; an API client never does."""
    return principal.kind is PrincipalKind.USER and any(
        grant.role in SUPERVISING_ROLES
        and Permission.CASES_WRITE in grant.permissions
        and is_within(path, grant.path)
        for grant in principal.grants
    )


def works_cases_only_as_assigned(principal: Principal, path: str) -> bool:
    """True when the principal's only right to write cases at ``path`` is a caseworker's (who sees only the
    cases assigned to them, so a case they open must be theirs)."""
    writing = [
        grant
        for grant in principal.grants
        if Permission.CASES_WRITE in grant.permissions and is_within(path, grant.path)
    ]
    return bool(writing) and all(grant.role is Role.CASE_WORKER for grant in writing)


# The supervision ladder: a role on it may be given only by someone holding it, or a role above it, there.
# (A district officer holds the same permissions as a provincial manager, only lower in the tree; the
# ladder keeps them from making a provincial manager of someone inside their district.)
SUPERVISION_RANK = {Role.CASE_WORKER: 1, Role.DISTRICT_OFFICER: 2, Role.PROVINCIAL_MANAGER: 3}


def may_grant(principal: Principal, role: Role, path: str) -> bool:
    """May ``principal`` give (or take back) ``role`` over the jurisdiction at ``path``? People only, with
    ``users:manage`` there; a system administrator there may give any role; anyone else only a role whose
    permissions they all hold there themselves, and on the supervision ladder no role above their own."""
    if principal.kind is not PrincipalKind.USER or not can(principal, Permission.USERS_MANAGE, path):
        return False
    over = [grant for grant in principal.grants if is_within(path, grant.path)]
    if any(grant.role is Role.SYSTEM_ADMIN for grant in over):
        return True
    held: set[Permission] = set()
    for grant in over:
        held |= grant.permissions
    if not ROLE_PERMISSIONS[role] <= held:
        return False
    rank = SUPERVISION_RANK.get(role)
    return rank is None or any(
        grant.role is not None and SUPERVISION_RANK.get(grant.role, 0) >= rank for grant in over
    )


def can_see_identity(
    principal: Principal | None, child_path: str, *, restricted: bool, cases: Iterable[CaseInCharge]
) -> bool:
    """Names, dates of birth and identity numbers: ``pii:read`` over the child. For a child whose identity
    is restricted (in conflict with the law; juvenile justice law forbids disclosure) only the worker assigned
    to such a case, or a supervising officer over that case's jurisdiction, among the ``cases`` given (those
    the principal can see). API clients never see restricted identities."""
    if principal is None or not can(principal, Permission.PII_READ, child_path):
        return False
    if not restricted:
        return True
    if principal.kind is not PrincipalKind.USER:
        return False
    return any(
        case.kind_in_conflict_with_law
        and (
            case.assigned_to_id == principal.id
            or any(
                grant.role in SUPERVISING_ROLES
                and Permission.PII_READ in grant.permissions
                and is_within(case.path, grant.path)
                for grant in principal.grants
            )
        )
        for case in cases
    )


def lquery_array(paths: Sequence[str]) -> str | None:
    """``{1.2.*,1.5.17.*}``: each subtree, root included. None when there is nothing."""
    return "{" + ",".join(f"{path}.*" for path in paths) + "}" if paths else None


def matches_scope(path_column: Any, scope: str) -> ColumnElement[bool]:
    """``path ? '{…}'::lquery[]``: the form row-level security uses too, so both walls hit the GiST index."""
    predicate: ColumnElement[bool] = path_column.op("?")(cast(literal(scope, Text()), LqueryArray()))
    return predicate


def in_subtrees(path_column: Any, roots: Sequence[str]) -> ColumnElement[bool]:
    """Rows whose ``path_column`` lies in one of the subtrees ``roots`` (each root included).

    For the path of a model that keeps its path's ids (:class:`~registry.db.models.base.PathIdsMixin`), a
    root at depth 2 to 4 is ``path_id_N = <root's id>`` (at depth 3, with its province's id, the key of an
    index), and a deeper one that and its ``path ?`` match: the same rows as :func:`matches_scope`, since a
    path is the chain of its ancestors' ids, in a form the planner can use under row-level security (bigint
    equality is leakproof, ltree's operators are not). Other paths, and the root of the tree, take
    :func:`matches_scope`. Row-level security keeps applying its own ``path ?`` either way.
    """
    ids = path_id_columns(path_column)
    if ids is None:
        scope = lquery_array(roots)
        return matches_scope(path_column, scope) if scope is not None else false()
    clauses: list[ColumnElement[bool]] = []
    by_pattern: list[str] = []
    for root in roots:
        labels = root.split(".")
        depth = min(len(labels), max(ids))
        if depth not in ids or not all(label.isdigit() for label in labels):
            by_pattern.append(root)
            continue
        clause: ColumnElement[bool] = ids[depth] == int(labels[depth - 1])
        if depth == 3:
            clause = and_(ids[2] == int(labels[1]), clause)
        if len(labels) > depth:
            clause = and_(clause, matches_scope(path_column, f"{{{root}.*}}"))
        clauses.append(clause)
    scope = lquery_array(by_pattern)
    if scope is not None:
        clauses.append(matches_scope(path_column, scope))
    if not clauses:
        return false()
    return clauses[0] if len(clauses) == 1 else or_(*clauses)


def scope_filter(
    principal: Principal | None, permission: Permission, path_column: Any
) -> ColumnElement[bool]:
    """The predicate limiting ``path_column`` to the subtrees where ``principal`` holds ``permission``."""
    paths = principal.paths_with(permission) if principal is not None else ()
    return in_subtrees(path_column, paths)


def identity_search_filter(
    principal: Principal | None, child_path: Any, child_id: Any, identity_restricted: Any
) -> ColumnElement[bool]:
    """Children whose identity the principal may search (by name): ``pii:read`` over them, and for a
    restricted identity, being assigned to such a case or supervising its jurisdiction (as
    :func:`can_see_identity`). A search must not reveal that a restricted child of that name exists."""
    from registry.db.models import Case, CaseKind

    if principal is None:
        return false()
    pii = scope_filter(principal, Permission.PII_READ, child_path)
    if principal.kind is not PrincipalKind.USER:
        return and_(pii, identity_restricted.is_(False))
    supervising = _roots(
        grant.path
        for grant in principal.grants
        if grant.role in SUPERVISING_ROLES and Permission.PII_READ in grant.permissions
    )
    in_charge = Case.assigned_to_id == principal.id
    if supervising:
        in_charge = or_(in_charge, in_subtrees(Case.path, supervising))
    allowed_case = (
        select(Case.id)
        .where(Case.child_id == child_id, Case.kind == CaseKind.CHILD_IN_CONFLICT_WITH_LAW, in_charge)
        .exists()
    )
    return and_(pii, or_(identity_restricted.is_(False), allowed_case))


def case_filter(
    principal: Principal | None, permission: Permission, path_column: Any, assigned_to_column: Any
) -> ColumnElement[bool]:
    """Cases the principal may use ``permission`` on: inside a grant's subtree, and for a caseworker only the
    cases assigned to them ("own and assigned cases")."""
    if principal is None:
        return false()
    clauses: list[ColumnElement[bool]] = []
    for narrowed in (False, True):
        paths = _roots(
            grant.path
            for grant in principal.grants
            if permission in grant.permissions and (grant.role is Role.CASE_WORKER) is narrowed
        )
        if not paths:
            continue
        inside = in_subtrees(path_column, paths)
        clauses.append(and_(inside, assigned_to_column == principal.id) if narrowed else inside)
    return or_(*clauses) if clauses else false()


def sharing_filter(principal: Principal | None, child_id_column: Any) -> ColumnElement[bool]:
    """Children whose record may be shared with the principal. An API client is another system: once the
    child's (or guardian's) consent to data sharing is withdrawn, the child is not found through any
    client, while the people working the child's cases keep seeing it."""
    from registry.db.models import ConsentPurpose
    from registry.db.queries.consents import withdrawn_clause

    if principal is None or principal.kind is not PrincipalKind.CLIENT:
        return true()
    return ~withdrawn_clause(child_id_column, (ConsentPurpose.DATA_SHARING,))


def child_filter(
    principal: Principal | None, permission: Permission, path_column: Any, child_id_column: Any
) -> ColumnElement[bool]:
    """Children the principal may use ``permission`` on: inside a grant's subtree (:func:`scope_filter`)
    and, for an API client, only while data sharing is consented (:func:`sharing_filter`)."""
    inside = scope_filter(principal, permission, path_column)
    if principal is None or principal.kind is not PrincipalKind.CLIENT:
        return inside
    return and_(inside, sharing_filter(principal, child_id_column))


def cases_open_to(principal: Principal | None, permission: Permission) -> ColumnElement[bool]:
    """Cases the principal may use ``permission`` on (:func:`case_filter`) and, for an API client, only
    cases of children whose data may still be shared with it (:func:`sharing_filter`)."""
    from registry.db.models import Case

    allowed = case_filter(principal, permission, Case.path, Case.assigned_to_id)
    if principal is None or principal.kind is not PrincipalKind.CLIENT:
        return allowed
    return and_(allowed, sharing_filter(principal, Case.child_id))


def referral_filter(principal: Principal | None, permission: Permission) -> ColumnElement[bool]:
    """Referrals the principal may use ``permission`` on: those of cases it may (see :func:`case_filter`),
    and those to institutions inside a subtree where it holds ``permission`` other than as a caseworker (the
    null assignee column admits no caseworker's grant)."""
    from registry.db.models import Case, Institution, Referral

    cases = select(Case.id).where(cases_open_to(principal, permission))
    receiving = select(Institution.id).where(case_filter(principal, permission, Institution.path, null()))
    return or_(Referral.case_id.in_(cases), Referral.to_institution_id.in_(receiving))


def writable_transfers(principal: Principal | None) -> ColumnElement[bool]:
    """Transfers of cases the principal may write (the sending side, which may cancel them)."""
    from registry.db.models import Case, Transfer

    return Transfer.case_id.in_(select(Case.id).where(cases_open_to(principal, Permission.CASES_WRITE)))


def transfer_filter(principal: Principal | None, permission: Permission) -> ColumnElement[bool]:
    """Transfers the principal may see with ``permission``: those of cases it may (see
    :func:`case_filter`), and, other than as a caseworker (the null assignee column admits no caseworker's
    grant), those from or to a subtree where it holds ``permission``: both sides see an open request, and
    the sending side keeps sight of where its case went."""
    from registry.db.models import Case, Transfer

    cases = select(Case.id).where(cases_open_to(principal, permission))
    return or_(
        Transfer.case_id.in_(cases),
        case_filter(principal, permission, Transfer.from_path, null()),
        case_filter(principal, permission, Transfer.to_path, null()),
    )


def receiving_filter(principal: Principal | None) -> ColumnElement[bool]:
    """Transfers the principal may answer: to a subtree where it writes cases (not as a caseworker)."""
    from registry.db.models import Transfer

    return case_filter(principal, Permission.CASES_WRITE, Transfer.to_path, null())


def audit_filter(principal: Principal | None, paths_column: Any) -> ColumnElement[bool]:
    """Audit rows the principal may read: those about jurisdictions inside its ``audit:read`` subtrees, and,
    for an auditor of the whole tree, also rows about no jurisdiction in particular."""
    if principal is None:
        return false()
    roots = principal.paths_with(Permission.AUDIT_READ)
    scope = lquery_array(roots)
    if scope is None:
        return false()
    inside = matches_scope(paths_column, scope)  # any of the row's paths inside the scope
    if any("." not in root for root in roots):
        return or_(inside, func.cardinality(paths_column) == 0)
    return inside


# Placements the police record (and the departments' officers): arrest, custody, the police-level centre.
# Homes, shelters and prisons are the social-welfare side's casework.
POLICE_PLACEMENTS = frozenset(
    {PlacementKind.ARREST, PlacementKind.POLICE_CUSTODY, PlacementKind.CHILD_PROTECTION_CENTRE}
)


def may_record_placement(principal: Principal, kind: PlacementKind, path: str) -> bool:
    """May ``principal`` record or end a placement of ``kind`` at the institution at ``path``?"""
    permission = Permission.INCIDENTS_WRITE if kind in POLICE_PLACEMENTS else Permission.CASES_WRITE
    return can(principal, permission, path)


def may_do_casework(principal: Principal, path: str) -> bool:
    """Interventions and outcomes are casework: ``cases:write`` or ``children:write`` over the recipient."""
    return can(principal, Permission.CASES_WRITE, path) or can(principal, Permission.CHILDREN_WRITE, path)


@dataclass(frozen=True, slots=True)
class RowScopes:
    """The ``lquery[]`` values row-level security reads for one transaction (None: nothing)."""

    records: str | None
    admin: str | None
    # Rollup tables of counts: wherever the principal may read statistics.
    statistics: str | None


def row_security_scopes(principal: Principal | None) -> RowScopes:
    """The values for ``registry.scope`` (records), ``registry.admin_scope`` (administrative rows) and
    ``registry.statistics_scope`` (counts)."""
    if principal is None:
        return RowScopes(None, None, None)
    return RowScopes(
        records=lquery_array(_roots(g.path for g in principal.grants if g.permissions & RECORD_PERMISSIONS)),
        admin=lquery_array(_roots(g.path for g in principal.grants if g.permissions)),
        statistics=lquery_array(_roots(_paths_with(principal, Permission.STATISTICS_READ))),
    )


def _paths_with(principal: Principal, permission: Permission) -> Iterable[str]:
    return (grant.path for grant in principal.grants if permission in grant.permissions)


def may_read_statistics(principal: Principal | None, path: str) -> bool:
    """Counts about the subtree at ``path``: with ``statistics:read`` there (aggregates only)."""
    return can(principal, Permission.STATISTICS_READ, path)


def statistics_root(principal: Principal, path: str) -> str:
    """The top of the principal's statistics scope above ``path`` (which ``may_read_statistics``). Withheld
    counts are decided from there down, once for every figure the principal can read, so that no two of
    its answers disagree on what is withheld."""
    return min(
        (root for root in principal.paths_with(Permission.STATISTICS_READ) if is_within(path, root)),
        key=lambda root: root.count("."),
    )


def statistics_are_exact(principal: Principal | None, path: str) -> bool:
    """Exact counts about the subtree at ``path`` go to whoever may read the records' personal data across
    all of it; everyone else (national analysts, statistics-only clients) gets small cells suppressed."""
    return can(principal, Permission.PII_READ, path) and can(principal, Permission.CASES_READ, path)


def statistics_label_filter(principal: Principal | None, path_column: Any) -> ColumnElement[bool]:
    """Institutions a figure may be labelled with (the police station or home a count is about): those
    inside a subtree where the principal reads statistics or the jurisdiction tree. Their code and name
    label a count (administrative data); a statistics-only client needs them as much as an analyst."""
    if principal is None:
        return false()
    paths = (
        *principal.paths_with(Permission.STATISTICS_READ),
        *principal.paths_with(Permission.JURISDICTIONS_READ),
    )
    scope = lquery_array(_roots(paths))
    return matches_scope(path_column, scope) if scope is not None else false()


def _roots(paths: Iterable[str]) -> list[str]:
    unique = sorted(set(paths))
    return [p for p in unique if not any(p != other and is_within(p, other) for other in unique)]


def _staff_scope(principal: Principal) -> str | None:
    return lquery_array(
        _roots(grant.path for grant in principal.grants if grant.permissions & STAFF_VISIBLE_WITH)
    )


def user_filter(principal: Principal | None, user_id_column: Any) -> ColumnElement[bool]:
    """People the principal may see (name, organisation, roles): themselves, and anyone holding a role inside
    a subtree where the principal manages staff, works cases or audits. A district has no business listing
    another district's staff, and a national analyst (aggregates only) sees no one."""
    from registry.db.models import RoleAssignment

    if principal is None:
        return false()
    itself = user_id_column == principal.id if principal.kind is PrincipalKind.USER else false()
    scope = _staff_scope(principal)
    if scope is None:
        return itself
    holds_role_inside = (
        select(RoleAssignment.id)
        .where(
            RoleAssignment.user_id == user_id_column,
            matches_scope(RoleAssignment.path, scope),
        )
        .exists()
    )
    return or_(itself, holds_role_inside)


def role_assignment_filter(
    principal: Principal | None, user_id_column: Any, path_column: Any
) -> ColumnElement[bool]:
    """Roles the principal may see: all of their own, and others' inside the subtrees of
    :func:`user_filter`."""
    if principal is None:
        return false()
    itself = user_id_column == principal.id if principal.kind is PrincipalKind.USER else false()
    scope = _staff_scope(principal)
    if scope is None:
        return itself
    return or_(itself, matches_scope(path_column, scope))
