"""Reads of children and their identity (personal data, read only when the policy allows)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, ColumnElement, Select, and_, cast, func, literal, or_, select, text, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.visitors import ExternallyTraversible, replacement_traverse
from sqlalchemy.types import Text

from registry.auth.policy import in_subtrees
from registry.db.models import (
    Child,
    ChildIdentity,
    ChildIdentityHistory,
    ConsentPurpose,
    Guardian,
    GuardianRelationship,
    Household,
    Jurisdiction,
    JurisdictionLevel,
    Sex,
)
from registry.db.queries.paging import (
    Keyset,
    apply_keyset,
    below_looked_up_root,
    in_list_order,
    subtree_path,
)
from registry.db.types import Ltree


@dataclass(frozen=True, slots=True)
class ChildFilter:
    sexes: Sequence[Sex] = ()
    within_code: str | None = None
    # ``within_code``'s path, once looked up (:func:`with_within_path`): the subtree is then matched by the
    # path's ids, which the planner can use (see :func:`registry.auth.policy.in_subtrees`).
    within_path: str | None = None
    # Born in one of these (earliest, latest) ranges of years, None where open: age bands on a given day.
    birth_years: Sequence[tuple[int | None, int | None]] = ()
    # Trigram similarity on the full name: copes with romanised Urdu spellings (Muhammad / Mohammad).
    name: str | None = None
    # The blind index of an identity number: an exact match without decrypting anything.
    identity_number_index: bytes | None = None


def _filtered(visible: ColumnElement[bool], flt: ChildFilter) -> Select[Child]:
    statement = _named(visible, flt.name) if flt.name is not None else select(Child).where(visible)
    if flt.sexes:
        statement = statement.where(Child.sex.in_(flt.sexes))
    if flt.within_path is not None:
        statement = statement.where(in_subtrees(Child.path, [flt.within_path]))
    elif flt.within_code is not None:
        root = select(Jurisdiction.path).where(Jurisdiction.code == flt.within_code).scalar_subquery()
        statement = statement.where(below_looked_up_root(Child.path, root))
    if flt.birth_years:
        statement = statement.where(
            or_(
                *(
                    and_(
                        Child.birth_year >= earliest if earliest is not None else true(),
                        Child.birth_year <= latest if latest is not None else true(),
                    )
                    for earliest, latest in flt.birth_years
                )
            )
        )
    if flt.identity_number_index is not None:
        holder = select(ChildIdentity.child_id).where(
            ChildIdentity.identity_number_blind_index == flt.identity_number_index
        )
        statement = statement.where(Child.id.in_(holder))
    return statement


def _named(visible: ColumnElement[bool], name: str) -> Select[Child]:
    """Children (with ``visible``) whose name is similar to ``name``: ``full_name % name``, the trigram
    similarity at least ``pg_trgm.similarity_threshold`` (``show_limit()``).

    A name search reads the children of the scope newest first and stops at the page's end; no index can
    find names here (under row-level security only leakproof conditions are index conditions, and ``%``
    is not). Two things let the planner see that: the comparison written out, which it guesses keeps a third
    of the rows where it guesses 1 % for ``%`` (and so would plan for reading every child of the scope);
    and whatever ``visible`` asks of the child's id (whether a restricted identity may be searched, consent
    to share) asked of the identity's ``child_id`` instead, the same value in this join, so that it is
    checked on the children whose name matched rather than costed for every child read."""
    similar = func.similarity(ChildIdentity.full_name, name) >= func.show_limit()
    on_identity = replacement_traverse(visible, {}, _child_id_to_identity)
    return select(Child).join(ChildIdentity, ChildIdentity.child_id == Child.id).where(on_identity, similar)


def _child_id_to_identity(element: ExternallyTraversible, **_: Any) -> ExternallyTraversible | None:
    if isinstance(element, Column) and element.table is Child.__table__ and element.key == "id":
        child_id: ExternallyTraversible = ChildIdentity.__table__.c.child_id
        return child_id
    return None


async def with_within_path(session: AsyncSession, flt: ChildFilter) -> ChildFilter:
    """``flt`` with the path of its ``within_code`` looked up (unchanged when there is none, or no such
    jurisdiction: then the statement finds no subtree and no child)."""
    if flt.within_code is None or flt.within_path is not None:
        return flt
    path = await subtree_path(session, flt.within_code)
    return flt if path is None else dataclasses.replace(flt, within_path=path)


async def children_page(
    session: AsyncSession, visible: ColumnElement[bool], flt: ChildFilter, *, keyset: Keyset
) -> list[Child]:
    flt = await with_within_path(session, flt)
    statement = apply_keyset(_filtered(visible, flt), Child.id, keyset, descending=True)
    return in_list_order(list(await session.scalars(statement)), keyset)


async def count_children(session: AsyncSession, visible: ColumnElement[bool], flt: ChildFilter) -> int:
    flt = await with_within_path(session, flt)
    subquery = _filtered(visible, flt).subquery()
    return int(await session.scalar(select(func.count()).select_from(subquery)) or 0)


async def children_by_ids(
    session: AsyncSession, visible: ColumnElement[bool], ids: Sequence[int]
) -> dict[int, Child]:
    result = await session.scalars(select(Child).where(Child.id.in_(ids), visible))
    return {row.id: row for row in result}


async def identities_by_child_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, ChildIdentity]:
    result = await session.scalars(select(ChildIdentity).where(ChildIdentity.child_id.in_(ids)))
    return {row.child_id: row for row in result}


async def households_by_ids(
    session: AsyncSession, visible: ColumnElement[bool], ids: Sequence[int]
) -> dict[int, Household]:
    result = await session.scalars(select(Household).where(Household.id.in_(ids), visible))
    return {row.id: row for row in result}


async def children_by_household_ids(
    session: AsyncSession, visible: ColumnElement[bool], household_ids: Sequence[int]
) -> dict[int, list[Child]]:
    result = await session.scalars(
        select(Child).where(Child.household_id.in_(household_ids), visible).order_by(Child.id)
    )
    found: dict[int, list[Child]] = {household_id: [] for household_id in household_ids}
    for row in result:
        assert row.household_id is not None
        found[row.household_id].append(row)
    return found


# Writes of children (registration, identity corrections) read through these.


async def next_household_id(session: AsyncSession) -> int:
    """An id for a new household, taken before the insert so that its reference can contain it."""
    sequence = func.pg_get_serial_sequence("households", "id")
    return int(await session.scalar(select(func.nextval(sequence))) or 0)


async def identity_number_holder(
    session: AsyncSession, blind_index: bytes, *, excluding_child_id: int | None = None
) -> int | None:
    """The child registered with this identity number (by its blind index), among the rows row-level
    security lets the transaction see."""
    statement = select(ChildIdentity.child_id).where(ChildIdentity.identity_number_blind_index == blind_index)
    if excluding_child_id is not None:
        statement = statement.where(ChildIdentity.child_id != excluding_child_id)
    return await session.scalar(statement.limit(1))


async def close_matches(
    session: AsyncSession,
    visible: ColumnElement[bool],
    *,
    full_name: str,
    birth_year: int,
    path: str,
    limit: int,
) -> list[int]:
    """Children who may be the same child as a new registration: a similar name (trigram ``%``, the
    ``pg_trgm.similarity_threshold``), born within a year of ``birth_year``, in the district around
    ``path`` (or under ``path`` itself when it lies above district level). Most similar first."""
    ancestors = [int(part) for part in path.split(".")]
    district = (
        select(Jurisdiction.path)
        .where(Jurisdiction.id.in_(ancestors), Jurisdiction.level == JurisdictionLevel.DISTRICT)
        .limit(1)
        .scalar_subquery()
    )
    root = func.coalesce(district, cast(literal(path, Text()), Ltree()))
    statement = (
        select(Child.id)
        .join(ChildIdentity, ChildIdentity.child_id == Child.id)
        .where(
            ChildIdentity.full_name.op("%")(full_name),
            Child.birth_year.between(birth_year - 1, birth_year + 1),
            Child.path.op("<@")(root),
            visible,
        )
        .order_by(func.similarity(ChildIdentity.full_name, full_name).desc(), Child.id)
        .limit(limit)
    )
    return list(await session.scalars(statement))


async def child_for_update(
    session: AsyncSession, visible: ColumnElement[bool], child_id: int
) -> Child | None:
    """The child, locked until the transaction ends, if ``visible`` admits it."""
    statement = select(Child).where(Child.id == child_id, visible).with_for_update()
    return (await session.scalars(statement)).one_or_none()


async def identity_for_update(session: AsyncSession, child_id: int) -> ChildIdentity | None:
    statement = select(ChildIdentity).where(ChildIdentity.child_id == child_id).with_for_update()
    return (await session.scalars(statement)).one_or_none()


async def guardians_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, Guardian]:
    """Guardians by id (row-level security limits them to children in the transaction's scope; the
    caller applies the personal-data rule of their child)."""
    result = await session.scalars(select(Guardian).where(Guardian.id.in_(ids)))
    return {row.id: row for row in result}


async def identity_history(session: AsyncSession, child_id: int) -> list[ChildIdentityHistory]:
    """Corrections of the child's identity, oldest first."""
    statement = (
        select(ChildIdentityHistory)
        .where(ChildIdentityHistory.child_id == child_id)
        .order_by(ChildIdentityHistory.version, ChildIdentityHistory.id)
    )
    return list(await session.scalars(statement))


# Registration, without the unit of work: the child, then (row-level security checks them against a child the
# statement can see) its identity, guardians and consents in one statement. The caller checks the input,
# the permission and duplicates before.
_INSERT_CHILD = text(
    "INSERT INTO children (household_id, sex, birth_year, age_at_registration, registered_on,"
    "   jurisdiction_id, path)"
    " VALUES (:household_id, CAST(:sex AS sex), :birth_year, :age_at_registration, :registered_on,"
    "   :jurisdiction_id, CAST(:path AS ltree))"
    " RETURNING id"
)

# Guardians get their ids first, so that each guardian's consents name it; consents are numbered in the order
# given (the guardians' in turn, then the child's own assents).
_INSERT_IDENTITY_GUARDIANS_CONSENTS = text(
    "WITH identity AS (INSERT INTO child_identities (child_id, full_name, given_name, family_name,"
    "   father_name, date_of_birth, date_of_birth_estimated, identity_number_ciphertext,"
    "   identity_number_key_id, identity_number_blind_index, place_of_birth, address, phone)"
    " VALUES (:child_id, :full_name, :given_name, :family_name, :father_name, :date_of_birth,"
    "   :date_of_birth_estimated, :identity_number_ciphertext, :identity_number_key_id,"
    "   :identity_number_blind_index, :place_of_birth, :address, :phone)"
    " RETURNING child_id),"
    " given AS (SELECT nextval(pg_get_serial_sequence('guardians', 'id')) AS id, g.*"
    " FROM ROWS FROM (jsonb_to_recordset(CAST(:guardians AS jsonb)) AS (full_name text,"
    "   relationship guardian_relationship, phone text, is_primary boolean, consents consent_purpose[]))"
    "   WITH ORDINALITY AS g(full_name, relationship, phone, is_primary, consents, position)),"
    " guardian_rows AS (INSERT INTO guardians (id, child_id, full_name, relationship, phone, is_primary)"
    " SELECT id, :child_id, full_name, relationship, phone, is_primary FROM given ORDER BY position"
    " RETURNING id),"
    " consent_rows AS (INSERT INTO consents (child_id, purpose, given_by, guardian_id, given_at,"
    "   recorded_by_id)"
    " SELECT :child_id, c.purpose, c.given_by, c.guardian_id, :given_at, :recorded_by_id FROM ("
    "   SELECT 0 AS part, g.position, p.n, p.purpose, CAST('GUARDIAN' AS consent_giver) AS given_by,"
    "     g.id AS guardian_id"
    "   FROM given AS g, unnest(g.consents) WITH ORDINALITY AS p(purpose, n)"
    "   UNION ALL"
    "   SELECT 1, 0, a.n, a.purpose, CAST('CHILD_ASSENT' AS consent_giver), CAST(NULL AS bigint)"
    "   FROM unnest(CAST(CAST(:child_assents AS text[]) AS consent_purpose[]))"
    "     WITH ORDINALITY AS a(purpose, n)"
    " ) AS c ORDER BY c.part, c.position, c.n"
    " RETURNING id)"
    " SELECT array(SELECT id FROM guardian_rows ORDER BY id) AS guardian_ids,"
    " array(SELECT id FROM consent_rows ORDER BY id) AS consent_ids"
)


@dataclass(frozen=True, slots=True)
class NewGuardian:
    full_name: str
    relationship: GuardianRelationship
    phone: str | None
    is_primary: bool
    consents: Sequence[ConsentPurpose]


async def insert_child(
    session: AsyncSession,
    *,
    household_id: int | None,
    sex: Sex,
    birth_year: int,
    age_at_registration: int,
    registered_on: dt.date,
    jurisdiction_id: int,
    path: str,
) -> int:
    """A new child's row: its id."""
    return int(
        (
            await session.execute(
                _INSERT_CHILD,
                {
                    "household_id": household_id,
                    "sex": sex.value,
                    "birth_year": birth_year,
                    "age_at_registration": age_at_registration,
                    "registered_on": registered_on,
                    "jurisdiction_id": jurisdiction_id,
                    "path": path,
                },
            )
        ).scalar_one()
    )


async def insert_identity_guardians_consents(
    session: AsyncSession,
    child_id: int,
    identity: Mapping[str, Any],
    guardians: Sequence[NewGuardian],
    child_assents: Sequence[ConsentPurpose],
    *,
    given_at: dt.datetime,
    recorded_by_id: int | None,
) -> tuple[list[int], list[int]]:
    """A new child's identity (``identity``: the columns of ``child_identities`` but its ``child_id``), its
    guardians and the consents given: ``(guardian ids, consent ids)``, in the order given."""
    rows = [
        {
            "full_name": g.full_name,
            "relationship": g.relationship.value,
            "phone": g.phone,
            "is_primary": g.is_primary,
            "consents": [purpose.value for purpose in g.consents],
        }
        for g in guardians
    ]
    row = (
        await session.execute(
            _INSERT_IDENTITY_GUARDIANS_CONSENTS,
            {
                "child_id": child_id,
                **identity,
                "guardians": json.dumps(rows),
                "child_assents": [purpose.value for purpose in child_assents],
                "given_at": given_at,
                "recorded_by_id": recorded_by_id,
            },
        )
    ).one()
    return list(row.guardian_ids), list(row.consent_ids)
