"""The rules of DESIGN, role by role, both ways: held inside the role's subtree, absent outside it."""

from __future__ import annotations

import pytest

from registry.auth.permissions import Permission
from registry.auth.policy import (
    Assignment,
    CaseInCharge,
    can,
    can_see_identity,
    client_principal,
    user_principal,
)
from registry.db.models import Role

PUNJAB, LAHORE, LAHORE_UC, KARACHI = "1.2", "1.2.10", "1.2.10.100", "1.3.20"

RECORDS = {Permission.CHILDREN_READ, Permission.CASES_READ, Permission.PII_READ, Permission.INCIDENTS_READ}

# What each role may do with individual records inside its subtree, as DESIGN states it.
EXPECTED_INSIDE: dict[Role, set[Permission]] = {
    Role.NATIONAL_ANALYST: set(),  # aggregates only
    Role.SYSTEM_ADMIN: set(),  # no case content
    Role.AUDITOR: set(),  # audit log, no PII
    Role.PROVINCIAL_MANAGER: RECORDS,
    Role.DISTRICT_OFFICER: RECORDS,
    Role.CASE_WORKER: RECORDS,
    Role.POLICE_MONITOR: {Permission.CHILDREN_READ, Permission.INCIDENTS_READ},  # no identities
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("permission", sorted(RECORDS))
def test_each_role_holds_record_permissions_inside_its_subtree_only(
    role: Role, permission: Permission
) -> None:
    principal = user_principal(7, "p", 1, [Assignment(role, 1, LAHORE)], token_id=None)
    inside = permission in EXPECTED_INSIDE[role]

    assert can(principal, permission, LAHORE) is inside
    assert can(principal, permission, LAHORE_UC) is inside
    assert can(principal, permission, KARACHI) is False
    assert can(principal, permission, PUNJAB) is False  # above the role's node is outside too


def test_statistics_belong_to_analysts_and_officers_not_to_auditors_or_police() -> None:
    def holds(role: Role) -> bool:
        return can(
            user_principal(7, "p", 1, [Assignment(role, 1, "1")], token_id=None),
            Permission.STATISTICS_READ,
            LAHORE,
        )

    assert {role for role in Role if holds(role)} == {
        Role.NATIONAL_ANALYST,
        Role.PROVINCIAL_MANAGER,
        Role.DISTRICT_OFFICER,
    }


def test_a_path_that_only_starts_like_the_scope_is_outside() -> None:
    principal = user_principal(7, "p", 1, [Assignment(Role.DISTRICT_OFFICER, 1, "1.2.1")], token_id=None)

    assert can(principal, Permission.CASES_READ, "1.2.1.5") is True
    assert can(principal, Permission.CASES_READ, "1.2.10") is False


def test_anonymous_holds_nothing() -> None:
    assert not any(can(None, permission, LAHORE) for permission in Permission)


@pytest.mark.parametrize(
    ("scopes", "creator_role", "creator_at", "expected"),
    [
        (["children:read", "pii:read"], Role.DISTRICT_OFFICER, LAHORE, {"children:read", "pii:read"}),
        (["children:read", "pii:read"], Role.POLICE_MONITOR, LAHORE, {"children:read"}),
        (["children:read"], Role.DISTRICT_OFFICER, KARACHI, set()),
        (["statistics:read", "children:read"], Role.NATIONAL_ANALYST, "1", {"statistics:read"}),
    ],
    ids=["within-creator", "capped-by-creator-role", "creator-elsewhere", "analyst-creator"],
)
def test_a_client_holds_its_scopes_at_its_node_capped_by_its_creator(
    scopes: list[str], creator_role: Role, creator_at: str, expected: set[str]
) -> None:
    client = client_principal(
        3,
        "c",
        1,
        scopes=scopes,
        jurisdiction_id=1,
        path=LAHORE,
        created_by_user_id=7,
        creator_assignments=[Assignment(creator_role, 1, creator_at)],
        token_scope=None,
        token_id=None,
    )

    held = {p.value for p in Permission if can(client, p, LAHORE_UC)}
    assert held == expected
    assert not any(can(client, p, KARACHI) for p in Permission)
    assert not any(can(client, p, PUNJAB) for p in Permission)


class TestIdentityOfChildrenInConflictWithTheLaw:
    cicl = CaseInCharge(path=LAHORE_UC, kind_in_conflict_with_law=True, assigned_to_id=7)
    labour = CaseInCharge(path=LAHORE_UC, kind_in_conflict_with_law=False, assigned_to_id=8)

    def test_other_children_need_only_pii_read(self) -> None:
        worker = user_principal(99, "w", 1, [Assignment(Role.CASE_WORKER, 1, LAHORE)], token_id=None)

        assert can_see_identity(worker, LAHORE_UC, restricted=False, cases=[self.labour]) is True

    def test_the_assigned_worker_sees_it(self) -> None:
        worker = user_principal(7, "w", 1, [Assignment(Role.CASE_WORKER, 1, LAHORE_UC)], token_id=None)

        assert can_see_identity(worker, LAHORE_UC, restricted=True, cases=[self.cicl, self.labour]) is True

    def test_another_worker_in_the_same_place_does_not(self) -> None:
        other = user_principal(8, "w", 1, [Assignment(Role.CASE_WORKER, 1, LAHORE)], token_id=None)

        assert can_see_identity(other, LAHORE_UC, restricted=True, cases=[self.cicl, self.labour]) is False

    def test_supervising_officers_over_the_case_see_it(self) -> None:
        officer = user_principal(9, "o", 1, [Assignment(Role.DISTRICT_OFFICER, 1, LAHORE)], token_id=None)
        manager = user_principal(10, "m", 1, [Assignment(Role.PROVINCIAL_MANAGER, 1, PUNJAB)], token_id=None)
        elsewhere = user_principal(11, "o", 1, [Assignment(Role.DISTRICT_OFFICER, 1, KARACHI)], token_id=None)

        assert can_see_identity(officer, LAHORE_UC, restricted=True, cases=[self.cicl]) is True
        assert can_see_identity(manager, LAHORE_UC, restricted=True, cases=[self.cicl]) is True
        assert can_see_identity(elsewhere, LAHORE_UC, restricted=True, cases=[self.cicl]) is False

    def test_a_restricted_child_whose_case_is_out_of_sight_stays_hidden(self) -> None:
        officer = user_principal(9, "o", 1, [Assignment(Role.DISTRICT_OFFICER, 1, LAHORE)], token_id=None)

        assert can_see_identity(officer, LAHORE_UC, restricted=True, cases=[self.labour]) is False

    def test_police_and_clients_never_do(self) -> None:
        police = user_principal(7, "p", 1, [Assignment(Role.POLICE_MONITOR, 1, PUNJAB)], token_id=None)
        client = client_principal(
            7,
            "c",
            1,
            scopes=["pii:read", "children:read"],
            jurisdiction_id=1,
            path=LAHORE,
            created_by_user_id=9,
            creator_assignments=[Assignment(Role.DISTRICT_OFFICER, 1, LAHORE)],
            token_scope=None,
            token_id=None,
        )

        assert can_see_identity(police, LAHORE_UC, restricted=True, cases=[self.cicl]) is False
        assert can_see_identity(client, LAHORE_UC, restricted=True, cases=[self.cicl]) is False
        assert can_see_identity(client, LAHORE_UC, restricted=False, cases=[self.labour]) is True
