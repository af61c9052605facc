"""Key rotation while the API serves, with no restart: two API processes share one keys directory.

Signing keys: a rotated key signs at once in every process, tokens of the old key keep working until the key
is retired (which waits until they must have expired), and then they stop. Identity-number keys: a new key
encrypts at once, numbers move onto it in batches while requests read, write and search them, and the old
key file can then go. (The commands' own arithmetic on stored numbers is in ``test_identity_keys.py``.)
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI
from sqlalchemy.engine import URL
from strawberry.relay import from_base64, to_base64

from registry.app import create_app
from registry.auth.keys import create_key_file, key_files, retire_signing_keys
from registry.auth.tokens import TokenService
from registry.db.identity_keys import reencrypt_batch, reencrypt_identity_numbers
from registry.db.server import app_url_for
from registry.identity_numbers import IdentityKeyring, load_vault
from tests.conftest import APP_ROLE, GraphQLClient, bearer, make_settings, user_token
from tests.factories import World, make_organisation, make_small_tree, make_user, make_world

VIEWER = "{ viewer { name } }"


@dataclass
class Process:
    """One API process: its app and an HTTP client to it."""

    app: FastAPI
    http: httpx.AsyncClient

    @property
    def tokens(self) -> TokenService:
        service: TokenService = self.app.state.tokens
        return service

    @property
    def graphql(self) -> GraphQLClient:
        return GraphQLClient(self.http)

    async def status(self, token: str) -> int:
        response = await self.http.post("/graphql", json={"query": VIEWER}, headers=bearer(token))
        return response.status_code

    async def published_kids(self) -> set[str]:
        return {key["kid"] for key in (await self.http.get("/.well-known/jwks.json")).json()["keys"]}


@asynccontextmanager
async def api_process(database: URL, keys: Path, *, check_interval: float) -> AsyncIterator[Process]:
    settings = make_settings(
        signing_keys_dir=keys,
        keys_check_interval_seconds=check_interval,
        audit_seal_interval_seconds=0,
        statistics_compact_interval_seconds=0,
    )
    application = create_app(settings, app_url_for(database, settings))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as http:
            yield Process(application, http)


async def registry(keys: Path, *args: str, database: URL | None = None) -> tuple[int, str, str]:
    """Run the ``registry`` command as an operator would."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("REGISTRY_")}
    environment |= {"REGISTRY_SIGNING_KEYS_DIR": str(keys), "REGISTRY_APP_DB_ROLE": APP_ROLE}
    if database is not None:
        url = database.set(drivername="postgresql").render_as_string(hide_password=False)
        environment["REGISTRY_DATABASE_URL"] = url
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "registry",
        *args,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def from_global(global_id: str) -> int:
    return int(from_base64(global_id)[1])


def kid_of(token: str) -> str:
    header = token.split(".")[0]
    kid: str = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]
    return kid


async def make_officer(owner: asyncpg.Connection[Any]) -> int:
    tree = await make_small_tree(owner)
    org = await make_organisation(owner, tree.lahore, kind="DISTRICT_OFFICE")
    return await make_user(owner, "DISTRICT_OFFICER", tree.lahore, organisation_id=org, username="officer")


# ---------------------------------------------------------------------------------------------------------
# Signing keys


async def test_a_rotated_signing_key_signs_everywhere_at_once_and_old_tokens_work_until_it_is_retired(
    database: URL, owner: asyncpg.Connection[Any], tmp_path: Path
) -> None:
    officer = await make_officer(owner)
    async with (
        api_process(database, tmp_path, check_interval=0) as a,
        api_process(database, tmp_path, check_interval=0) as b,
    ):
        first = user_token(a.tokens, officer)
        old_kid = kid_of(first)
        assert (await a.status(first), await b.status(first)) == (200, 200)

        code, out, err = await registry(tmp_path, "keys", "rotate-signing-key")

        assert code == 0, err
        assert "Added signing-0002.pem" in out
        from_a, from_b = user_token(a.tokens, officer), user_token(b.tokens, officer)
        new_kid = kid_of(from_a)
        assert new_kid != old_kid
        assert kid_of(from_b) == new_kid
        for token in (first, from_a, from_b):
            assert (await a.status(token), await b.status(token)) == (200, 200)
        assert await a.published_kids() == await b.published_kids() == {old_kid, new_kid}

        # Tokens of the old key may still be valid: it is not retired yet.
        code, out, err = await registry(tmp_path, "keys", "retire-signing-key")
        assert code == 1
        assert "signing-0001.pem may be valid for" in err
        assert [path.name for path in key_files(tmp_path)] == ["signing-0001.pem", "signing-0002.pem"]
        assert (await a.status(first), await b.status(first)) == (200, 200)

        # Once the new key has signed for longer than a token lives (the check interval, 600 s of access
        # token and a minute of clock leeway), no valid token needs the old one.
        newest = key_files(tmp_path)[-1]
        signed_since = time.time() - 2 - 600 - 60 - 1
        os.utime(newest, (signed_since, signed_since))
        code, out, err = await registry(tmp_path, "keys", "retire-signing-key")

        assert code == 0, err
        assert "Retired signing-0001.pem." in out
        assert [path.name for path in key_files(tmp_path)] == ["signing-0002.pem"]
        assert (await a.status(first), await b.status(first)) == (401, 401)
        for token in (from_a, from_b, user_token(a.tokens, officer), user_token(b.tokens, officer)):
            assert kid_of(token) == new_kid
            assert (await a.status(token), await b.status(token)) == (200, 200)
        assert await a.published_kids() == await b.published_kids() == {new_kid}


async def test_a_process_that_has_not_looked_at_the_keys_yet_accepts_a_token_of_a_newer_key_at_once(
    database: URL, owner: asyncpg.Connection[Any], tmp_path: Path
) -> None:
    officer = await make_officer(owner)
    async with (
        api_process(database, tmp_path, check_interval=0) as a,
        api_process(database, tmp_path, check_interval=300) as b,
    ):
        old_kid = kid_of(user_token(b.tokens, officer))
        create_key_file(tmp_path)
        from_a = user_token(a.tokens, officer)
        # B looks at the keys only every five minutes: until a token names a key it does not know,
        # it signs as before.
        assert kid_of(user_token(b.tokens, officer)) == old_kid

        assert await b.status(from_a) == 200
        assert kid_of(user_token(b.tokens, officer)) == kid_of(from_a) != old_kid

        forged = from_a.split(".")
        header = {"alg": "RS256", "typ": "at+jwt", "kid": "no-such-key"}
        forged[0] = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
        assert await b.status(".".join(forged)) == 401


def test_only_keys_whose_successor_has_signed_long_enough_are_retired(tmp_path: Path) -> None:
    for _ in range(3):
        create_key_file(tmp_path)
    first, second, third = key_files(tmp_path)
    now = time.time()
    os.utime(second, (now - 1000, now - 1000))
    os.utime(third, (now - 10, now - 10))

    retired = retire_signing_keys(tmp_path, min_age=662, now=now)

    assert retired.removed == [first]
    assert [(path, round(left)) for path, left in retired.waiting] == [(second, 652)]
    assert key_files(tmp_path) == [second, third]
    assert retire_signing_keys(tmp_path, min_age=0, now=now).removed == [second]
    assert key_files(tmp_path) == [third]
    assert retire_signing_keys(tmp_path, min_age=0, now=now).removed == []


# ---------------------------------------------------------------------------------------------------------
# Identity-number keys

CHILD = "id version identityNumber"
REGISTER = f"""mutation($input: RegisterChildInput!) {{ registerChild(input: $input) {{
  child {{ {CHILD} }} errors {{ code field message }} }} }}"""
CORRECT = f"""mutation($input: CorrectChildIdentityInput!) {{ correctChildIdentity(input: $input) {{
  child {{ {CHILD} }} errors {{ code field message }} }} }}"""
READ = f"""query($id: ID!) {{ node(id: $id) {{ ... on Child {{ {CHILD} }} }} }}"""
FIND = """query($number: String!) { children(filter: {identityNumber: $number}) {
  edges { node { id identityNumber } } } }"""


@dataclass
class Registry:
    """What the test has stored, as the API said it: child global id -> (version, identity number)."""

    token: str
    children: dict[str, tuple[int, str]]
    serial: int = 0

    def next_number(self) -> str:
        self.serial += 1
        return f"35202-{self.serial:07d}-1"


async def register(process: Process, state: Registry) -> str:
    number = state.next_number()
    data = await process.graphql.data(
        REGISTER,
        {
            "input": {
                "jurisdictionCode": "PK-PB-LAHORE-UC1",
                "sex": "FEMALE",
                "fullName": f"Rotation Child {state.serial}",
                "birthYear": 2016,
                "identityNumber": number,
                "childAssents": ["REGISTRATION"],
                "confirmNotDuplicate": True,
            }
        },
        token=state.token,
    )
    payload = data["registerChild"]
    assert payload["errors"] == [], payload["errors"]
    child = payload["child"]
    assert child["identityNumber"] == number.replace("-", "")
    state.children[child["id"]] = (child["version"], child["identityNumber"])
    return str(child["id"])


async def correct(process: Process, state: Registry, child_id: str) -> None:
    version, _ = state.children[child_id]
    number = state.next_number()
    data = await process.graphql.data(
        CORRECT,
        {
            "input": {
                "childId": child_id,
                "version": version,
                "reason": "Number as on the B-Form",
                "identityNumber": number,
            }
        },
        token=state.token,
    )
    payload = data["correctChildIdentity"]
    assert payload["errors"] == [], payload["errors"]
    state.children[child_id] = (payload["child"]["version"], payload["child"]["identityNumber"])


async def read(process: Process, state: Registry, child_id: str) -> None:
    data = await process.graphql.data(READ, {"id": child_id}, token=state.token)
    assert data["node"]["identityNumber"] == state.children[child_id][1]


async def find(process: Process, state: Registry, child_id: str) -> None:
    number = state.children[child_id][1]
    data = await process.graphql.data(FIND, {"number": number}, token=state.token)
    assert [edge["node"] for edge in data["children"]["edges"]] == [
        {"id": child_id, "identityNumber": number}
    ]


async def stored_keys(owner: asyncpg.Connection[Any]) -> dict[str, set[str]]:
    identities = await owner.fetch(
        "SELECT DISTINCT identity_number_key_id FROM child_identities WHERE identity_number_ciphertext IS NOT NULL"
    )
    history = await owner.fetch(
        "SELECT DISTINCT previous->>'identity_number_key_id' FROM child_identity_history"
        " WHERE previous->>'identity_number_ciphertext' IS NOT NULL"
    )
    return {"identities": {row[0] for row in identities}, "history": {row[0] for row in history}}


async def test_identity_numbers_move_to_a_new_key_in_batches_while_the_api_reads_writes_and_finds_them(
    database: URL, owner: asyncpg.Connection[Any], tmp_path: Path
) -> None:
    world: World = await make_world(owner)
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(api_process(database, tmp_path, check_interval=0))
        # B looks at the keys directory only every five minutes: it learns of the new key from a
        # number stored under it.
        b = await stack.enter_async_context(api_process(database, tmp_path, check_interval=300))
        state = Registry(user_token(a.tokens, world.users["lahore_officer"]), {})
        for _ in range(12):
            await register(a, state)
        corrected = next(iter(state.children))
        await correct(a, state, corrected)  # the history keeps the number it replaced, under the old key
        replaced = await owner.fetchval(
            "SELECT previous->>'identity_number_ciphertext' FROM child_identity_history WHERE child_id = $1",
            from_global(corrected),
        )
        assert await stored_keys(owner) == {"identities": {"identity-0001"}, "history": {"identity-0001"}}

        code, out, err = await registry(tmp_path, "keys", "add-identity-key")
        assert code == 0, err
        assert "Added identity-0002" in out
        # Process A encrypts with the new key from its next request on; nothing was restarted.
        fresh = await register(a, state)
        assert (
            await owner.fetchval(
                "SELECT identity_number_key_id FROM child_identities WHERE child_id = $1", from_global(fresh)
            )
            == "identity-0002"
        )
        # The old key is still needed: retiring it now is refused.
        code, out, err = await registry(tmp_path, "keys", "retire-identity-keys", database=database)
        assert code == 1
        assert "still in use: identity-0001 (13 numbers)" in err
        assert (tmp_path / "identity-0001.key").exists()

        vault = load_vault(tmp_path)
        keyring_of_b: IdentityKeyring = b.app.state.identity_numbers
        assert list(keyring_of_b.current().encryption_keys) == ["identity-0001"]
        moved_in_batches = await reencrypt_batch(owner, vault, batch_size=3)
        assert moved_in_batches == 3
        first_moved = await owner.fetchval(
            "SELECT child_id FROM child_identities WHERE identity_number_key_id = 'identity-0002'"
            " AND child_id <> $1 ORDER BY child_id LIMIT 1",
            from_global(fresh),
        )
        await read(b, state, to_base64("Child", first_moved))
        assert list(keyring_of_b.current().encryption_keys) == ["identity-0001", "identity-0002"]

        ids = list(state.children)
        for round_ in range(40):
            # One batch of three, and meanwhile requests to both processes that read, write and search.
            moved, *_ = await asyncio.gather(
                reencrypt_batch(owner, vault, batch_size=3),
                register(a, state),
                read(b, state, ids[round_ % len(ids)]),
                find(b, state, ids[(round_ + 1) % len(ids)]),
                correct(b if round_ % 2 else a, state, ids[(round_ + 2) % len(ids)]),
            )
            moved_in_batches += moved
            ids = list(state.children)
            if moved == 0:
                break
        assert moved_in_batches >= 13
        # Whatever requests held locked was skipped by its batch: the full run takes it up.
        await reencrypt_identity_numbers(owner, vault, batch_size=3)

        assert await stored_keys(owner) == {"identities": {"identity-0002"}, "history": {"identity-0002"}}
        rows = await owner.fetch(
            "SELECT child_id, identity_number_key_id, identity_number_ciphertext FROM child_identities"
            " WHERE identity_number_ciphertext IS NOT NULL"
        )
        assert {
            to_base64("Child", row[0]): vault.decrypt(row[1], row[2], child_id=row[0]) for row in rows
        } == {child_id: number for child_id, (_, number) in state.children.items()}
        history = await owner.fetchrow(
            "SELECT previous->>'identity_number_key_id' AS key_id, previous->>'identity_number_ciphertext'"
            " AS ciphertext FROM child_identity_history WHERE child_id = $1 ORDER BY id LIMIT 1",
            from_global(corrected),
        )
        assert history is not None
        assert history["ciphertext"] != replaced
        assert (
            vault.decrypt(
                history["key_id"], base64.b64decode(history["ciphertext"]), child_id=from_global(corrected)
            )
            == "3520200000011"
        )

        code, out, err = await registry(tmp_path, "keys", "retire-identity-keys", database=database)
        assert code == 0, err
        assert "Retired identity-0001." in out
        assert not (tmp_path / "identity-0001.key").exists()
        for process in (a, b):
            for child_id in list(state.children):
                await read(process, state, child_id)
                await find(process, state, child_id)
            await find(process, state, await register(process, state))
