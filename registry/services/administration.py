"""Administration: the jurisdiction tree, organisations, institutions, people and their roles, changed by
those whose role allows it, inside their scope.

Who may do what:

- Jurisdictions, organisations and institutions need ``jurisdictions:manage`` over the parent or target
  jurisdiction (system administrators hold it).
- People and their roles need ``users:manage`` over the jurisdiction of the role (system administrators,
  provincial managers and district officers hold it), and only people manage people: an API client gets
  *not found*, as it does when it tries to create another client.
- Nobody gives a role that would hold more than they hold at that place (:func:`may_grant`): the rule
  API clients follow ("never wider than the creator"), applied to roles. A system administrator over the
  place is the exception: staffing the registry is their job, so they may give any role, though they read
  no case content themselves.
- Whatever is outside the principal's scope is *not found*, and nothing is changed.
"""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

from registry.auth.permissions import Permission
from registry.auth.policy import can, is_within, may_grant, scope_filter, user_filter
from registry.auth.principal import Principal, PrincipalKind
from registry.auth.users import add_user
from registry.db.models import (
    Institution,
    InstitutionType,
    Jurisdiction,
    JurisdictionLevel,
    Organisation,
    OrganisationKind,
    Role,
    RoleAssignment,
    User,
)
from registry.db.models.jurisdictions import LEVEL_DEPTH
from registry.db.queries import administration as queries
from registry.db.queries import auth as auth_queries
from registry.db.queries import jurisdictions as jurisdiction_queries
from registry.errors import Conflict, InvalidInput, NotFound
from registry.services.common import clean_text, expect_version, require
from registry.services.idempotency import create_once

JURISDICTION_CODE = re.compile(r"[A-Z]{2}(-[A-Z0-9]+)*")
# Organisation and institution codes: upper-case words joined by hyphens, e.g. ``NGO-SPARC``, ``PB-SWD``.
CODE = re.compile(r"[A-Z0-9]+([-_][A-Z0-9]+)*")
MAX_CODE = 64
MAX_NAME = 200
MAX_EMAIL = 320
# Levels a node may sit directly below a parent over: these two are optional between their neighbours.
OPTIONAL_LEVELS = frozenset({JurisdictionLevel.DIVISIONAL, JurisdictionLevel.TEHSIL})


# ---------------------------------------------------------------------------------------------- checks


def _name(value: str, *, field: str) -> str:
    return clean_text(value, field=field, required=True, limit=MAX_NAME) or ""


def _optional_name(value: str | None, *, field: str) -> str | None:
    """None for nothing or blanks."""
    return _name(value, field=field) if value is not None and value.strip() else None


def _code(value: str, pattern: re.Pattern[str], *, example: str) -> str:
    code = value.strip()
    if len(code) > MAX_CODE or not pattern.fullmatch(code):
        raise InvalidInput(
            f"A code has up to {MAX_CODE} upper-case letters and digits in hyphenated parts, e.g. {example}.",
            field="code",
        )
    return code


def _capacity(value: int | None) -> int | None:
    if value is not None and not 0 <= value <= 1_000_000:
        raise InvalidInput("A capacity is a number of children, 0 or more.", field="capacity")
    return value


def _email(value: str | None) -> str | None:
    email = value.strip() if value is not None else None
    if not email:
        return None
    local, at, domain = email.partition("@")
    if len(email) > MAX_EMAIL or not at or not local or "." not in domain or " " in email:
        raise InvalidInput("This is not an email address.", field="email")
    return email


def level_may_follow(parent: JurisdictionLevel, child: JurisdictionLevel) -> bool:
    """A node sits below its parent's level, skipping only optional levels (a district directly below a
    province, a community directly below a district; not a community directly below a province)."""
    levels = list(JurisdictionLevel)
    top, bottom = LEVEL_DEPTH[parent], LEVEL_DEPTH[child]
    return bottom > top and all(level in OPTIONAL_LEVELS for level in levels[top + 1 : bottom])


def _may_grant_or_refuse(principal: Principal, role: Role, jurisdiction: Jurisdiction, *, verb: str) -> None:
    if not can(principal, Permission.USERS_MANAGE, jurisdiction.path):
        raise NotFound("No such jurisdiction.", field="jurisdictionCode")
    if not may_grant(principal, role, jurisdiction.path):
        raise InvalidInput(
            f"You may not {verb} the role {role.value} at {jurisdiction.code}: nobody gives a role that "
            "holds more than they hold there themselves.",
            field="role",
        )


async def _jurisdiction(
    session: AsyncSession, principal: Principal, code: str, permission: Permission, *, field: str
) -> Jurisdiction:
    jurisdiction = await jurisdiction_queries.jurisdiction_by_code(session, code.strip())
    if jurisdiction is None:
        raise NotFound("No such jurisdiction.", field=field)
    require(principal, permission, jurisdiction.path, what="jurisdiction", field=field)
    return jurisdiction


async def _organisation(session: AsyncSession, organisation_id: int, where: Jurisdiction) -> Organisation:
    """An organisation working at ``where`` (its own jurisdiction at or above it)."""
    organisation = await queries.organisation_by_id(session, organisation_id)
    if organisation is None:
        raise NotFound("No such organisation.", field="organisationId")
    if not is_within(where.path, organisation.path):
        raise InvalidInput(
            f"The organisation {organisation.code} does not work at {where.code}.", field="organisationId"
        )
    return organisation


# ----------------------------------------------------------------------------------------- jurisdictions


async def create_jurisdiction(
    session: AsyncSession,
    principal: Principal,
    *,
    parent_code: str,
    code: str,
    name: str,
    name_ur: str | None,
    level: JurisdictionLevel,
    idempotency_key: str | None,
) -> tuple[int, bool]:
    """A new node below ``parent_code``. ``(jurisdiction id, replayed)``."""
    code = _code(code, JURISDICTION_CODE, example="PK-KP-PESHAWAR")
    english = _name(name, field="name")
    urdu = _optional_name(name_ur, field="nameUr")

    async def create() -> int:
        parent = await _jurisdiction(
            session, principal, parent_code, Permission.JURISDICTIONS_MANAGE, field="parentCode"
        )
        if not level_may_follow(parent.level, level):
            raise InvalidInput(
                f"A {level.value} node cannot sit directly below a {parent.level.value} one.", field="level"
            )
        new_id = await queries.next_id(session, "jurisdictions")
        node = Jurisdiction(
            id=new_id,
            code=code,
            name=english,
            name_ur=urdu,
            level=level,
            parent_id=parent.id,
            path=f"{parent.path}.{new_id}",
        )
        if not await queries.insert_unless_clash(session, node):
            raise Conflict(f"The code {code} is taken.", field="code")
        return new_id

    request = {"parentCode": parent_code, "code": code, "name": english, "nameUr": urdu, "level": level}
    return await create_once(
        session,
        principal,
        key=idempotency_key,
        operation="createJurisdiction",
        request=request,
        create=create,
    )


async def update_jurisdiction(
    session: AsyncSession, principal: Principal, *, code: str, name: str | None, name_ur: str | None
) -> Jurisdiction:
    """Rename a node (English and Urdu names). Its code, level and place in the tree stay: moving a node
    would move every record below it, which this does not do."""
    jurisdiction = await queries.jurisdiction_for_update(session, code.strip())
    if jurisdiction is None or not can(principal, Permission.JURISDICTIONS_MANAGE, jurisdiction.path):
        raise NotFound("No such jurisdiction.", field="code")
    if name is not None:
        jurisdiction.name = _name(name, field="name")
    if name_ur is not None:
        # An empty Urdu name clears it: not every node's Urdu name is known.
        jurisdiction.name_ur = _optional_name(name_ur, field="nameUr")
    await session.flush()
    return jurisdiction


# ----------------------------------------------------------------------------------------- organisations


async def create_organisation(
    session: AsyncSession,
    principal: Principal,
    *,
    code: str,
    name: str,
    kind: OrganisationKind,
    jurisdiction_code: str,
    idempotency_key: str | None,
) -> tuple[int, bool]:
    """A new organisation working in a jurisdiction. ``(organisation id, replayed)``."""
    code = _code(code, CODE, example="NGO-SPARC")
    title = _name(name, field="name")

    async def create() -> int:
        where = await _jurisdiction(
            session, principal, jurisdiction_code, Permission.JURISDICTIONS_MANAGE, field="jurisdictionCode"
        )
        organisation = Organisation(
            code=code, name=title, kind=kind, jurisdiction_id=where.id, path=where.path
        )
        if not await queries.insert_unless_clash(session, organisation):
            raise Conflict(f"The code {code} is taken.", field="code")
        return organisation.id

    request = {"code": code, "name": title, "kind": kind, "jurisdictionCode": jurisdiction_code}
    return await create_once(
        session,
        principal,
        key=idempotency_key,
        operation="createOrganisation",
        request=request,
        create=create,
    )


# ------------------------------------------------------------------------------------------ institutions


async def create_institution(
    session: AsyncSession,
    principal: Principal,
    *,
    code: str,
    name: str,
    type: InstitutionType,
    organisation_id: int,
    jurisdiction_code: str,
    capacity: int | None,
    idempotency_key: str | None,
) -> tuple[int, bool]:
    """A new institution in a jurisdiction, run by an organisation working there.
    ``(institution id, replayed)``."""
    code = _code(code, CODE, example="PB-LHR-PS-01")
    title = _name(name, field="name")
    capacity = _capacity(capacity)

    async def create() -> int:
        where = await _jurisdiction(
            session, principal, jurisdiction_code, Permission.JURISDICTIONS_MANAGE, field="jurisdictionCode"
        )
        organisation = await _organisation(session, organisation_id, where)
        institution = Institution(
            code=code,
            name=title,
            type=type,
            organisation_id=organisation.id,
            capacity=capacity,
            jurisdiction_id=where.id,
            path=where.path,
        )
        if not await queries.insert_unless_clash(session, institution):
            raise Conflict(f"The code {code} is taken.", field="code")
        return institution.id

    request = {
        "code": code,
        "name": title,
        "type": type,
        "organisationId": organisation_id,
        "jurisdictionCode": jurisdiction_code,
        "capacity": capacity,
    }
    return await create_once(
        session,
        principal,
        key=idempotency_key,
        operation="createInstitution",
        request=request,
        create=create,
    )


async def update_institution(
    session: AsyncSession,
    principal: Principal,
    *,
    institution_id: int,
    version: int,
    name: str | None,
    capacity: int | None,
    active: bool | None,
) -> Institution:
    """Rename an institution, change its capacity, or close (``active: false``) or reopen it."""
    visible = scope_filter(principal, Permission.JURISDICTIONS_MANAGE, Institution.path)
    institution = await queries.institution_for_update(session, visible, institution_id)
    if institution is None:
        raise NotFound("No such institution.", field="id")
    expect_version(institution.version, version, what="institution")
    if name is not None:
        institution.name = _name(name, field="name")
    if capacity is not None:
        institution.capacity = _capacity(capacity)
    if active is not None:
        institution.active = active
    institution.version += 1
    await session.flush()
    return institution


# ------------------------------------------------------------------------------------ people and roles


async def create_user(
    session: AsyncSession,
    principal: Principal,
    *,
    username: str,
    display_name: str,
    email: str | None,
    organisation_id: int,
    role: Role,
    jurisdiction_code: str,
    password: str | None,
    idempotency_key: str | None,
) -> tuple[int, bool]:
    """A person with a first role at a jurisdiction. ``(user id, replayed)``."""
    username = username.strip().lower()
    shown_as = _name(display_name, field="displayName")
    address = _email(email)

    async def create() -> int:
        if principal.kind is not PrincipalKind.USER:
            raise NotFound("No such jurisdiction.", field="jurisdictionCode")
        where = await _jurisdiction(
            session, principal, jurisdiction_code, Permission.USERS_MANAGE, field="jurisdictionCode"
        )
        _may_grant_or_refuse(principal, role, where, verb="give")
        organisation = await _organisation(session, organisation_id, where)
        user = await add_user(
            session,
            username=username,
            display_name=shown_as,
            email=address,
            organisation_id=organisation.id,
            password=password,
            role=role,
            jurisdiction=where,
        )
        return user.id

    # The password is left out of the fingerprint: an unsalted hash of it must not be stored. A retry
    # with another password is answered with the person made the first time.
    request = {
        "username": username,
        "displayName": shown_as,
        "email": address,
        "organisationId": organisation_id,
        "role": role,
        "jurisdictionCode": jurisdiction_code,
        "withPassword": password is not None,
    }
    return await create_once(
        session, principal, key=idempotency_key, operation="createUser", request=request, create=create
    )


async def _user_to_change(session: AsyncSession, principal: Principal, user_id: int) -> User:
    """A person the principal may see, locked until the transaction ends. Whether the principal may
    change them is decided next; their ``version`` is compared after that, so that someone without the
    right learns nothing from it."""
    user = None
    if principal.kind is PrincipalKind.USER:
        user = await queries.user_for_update(session, user_filter(principal, User.id), user_id)
    if user is None:
        raise NotFound("No such user.", field="userId")
    return user


def _active(user: User) -> None:
    if not user.active:
        raise InvalidInput("This person has been deactivated.", field="userId")


async def grant_role(
    session: AsyncSession,
    principal: Principal,
    *,
    user_id: int,
    role: Role,
    jurisdiction_code: str,
    version: int | None,
    idempotency_key: str | None,
) -> tuple[int, bool]:
    """Give a person another role. ``(role assignment id, replayed)``."""

    async def create() -> int:
        user = await _user_to_change(session, principal, user_id)
        where = await _jurisdiction(
            session, principal, jurisdiction_code, Permission.USERS_MANAGE, field="jurisdictionCode"
        )
        _may_grant_or_refuse(principal, role, where, verb="give")
        expect_version(user.version, version, what="user")
        _active(user)
        assignment = await queries.insert_role_assignment(session, user.id, role, where)
        if assignment is None:
            raise Conflict(f"{user.username} already holds {role.value} at {where.code}.", field="role")
        user.version += 1
        await session.flush()
        return assignment.id

    request = {"userId": user_id, "role": role, "jurisdictionCode": jurisdiction_code, "version": version}
    return await create_once(
        session, principal, key=idempotency_key, operation="grantRole", request=request, create=create
    )


async def _all_roles(session: AsyncSession, user: User) -> list[tuple[Role, str]]:
    """Every role the person holds, including those outside the principal's scope (which row-level
    security hides from the principal's queries): read as sign-in reads them. Sign-in reads nothing of a
    deactivated person; of them, the roles the principal can see."""
    subject = await auth_queries.authenticate(session, PrincipalKind.USER.value, user.id, None)
    if subject is None:
        return [(row.role, row.path) for row in await queries.role_assignments_of(session, user.id)]
    return [(Role(a["role"]), str(a["path"])) for a in subject.assignments]


async def revoke_role(
    session: AsyncSession,
    principal: Principal,
    *,
    user_id: int,
    role: Role,
    jurisdiction_code: str,
    version: int | None,
) -> User:
    """Take a role back. A person keeps at least one role: to end someone's access, deactivate them."""
    user = await _user_to_change(session, principal, user_id)
    where = await _jurisdiction(
        session, principal, jurisdiction_code, Permission.USERS_MANAGE, field="jurisdictionCode"
    )
    assignment: RoleAssignment | None = await queries.role_assignment(session, user.id, role, where.id)
    if assignment is None:
        raise NotFound(f"{user.username} holds no {role.value} at {where.code}.", field="role")
    _may_grant_or_refuse(principal, role, where, verb="take back")
    expect_version(user.version, version, what="user")
    _active(user)
    if len(await _all_roles(session, user)) <= 1:
        raise InvalidInput(
            "This is the person's only role; deactivate them instead of leaving them with none.",
            field="role",
        )
    await queries.delete_role_assignment(session, assignment.id)
    user.version += 1
    await session.flush()
    return user


async def deactivate_user(
    session: AsyncSession, principal: Principal, *, user_id: int, version: int | None
) -> User:
    """End a person's access: their tokens stop working on their next request and they cannot sign in.
    Only someone who could take back every role the person holds may do it, or a district officer could
    lock out someone who also works elsewhere."""
    user = await _user_to_change(session, principal, user_id)
    if user.id == principal.id:
        raise InvalidInput("You cannot deactivate yourself.", field="userId")
    roles = await _all_roles(session, user)
    if not roles or not all(may_grant(principal, role, path) for role, path in roles):
        raise NotFound("No such user.", field="userId")
    if not user.active:
        return user  # already done (a retry)
    expect_version(user.version, version, what="user")
    user.active = False
    user.version += 1
    await session.flush()
    return user
