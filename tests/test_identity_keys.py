"""Rotating the keys of identity numbers: re-encryption under a new key, and a new blind-index key, both
through the operator's commands; numbers read back the same and stay searchable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import URL

from registry.identity_numbers import load_vault
from tests.conftest import APP_ROLE
from tests.factories import make_child, make_small_tree, name_child

NUMBERS = ["35202-1234567-1", "42101-7654321-2", "61101-1111111-3"]


def registry(database: URL, keys: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("REGISTRY_")}
    env |= {
        "REGISTRY_DATABASE_URL": database.set(drivername="postgresql").render_as_string(hide_password=False),
        "REGISTRY_APP_DB_ROLE": APP_ROLE,
        "REGISTRY_SIGNING_KEYS_DIR": str(keys),
        # No API process runs here: re-encryption need not wait for processes to take up a new key.
        "REGISTRY_KEYS_CHECK_INTERVAL_SECONDS": "0",
    }
    return subprocess.run(
        [sys.executable, "-m", "registry", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def stored(owner: asyncpg.Connection[Any]) -> list[asyncpg.Record]:
    return await owner.fetch(
        "SELECT child_id, identity_number_key_id AS key_id, identity_number_ciphertext AS ciphertext,"
        " identity_number_blind_index AS blind_index FROM child_identities ORDER BY child_id"
    )


async def test_numbers_move_to_a_new_key_and_a_new_index_key_and_read_back_the_same(
    database: URL, owner: asyncpg.Connection[Any], tmp_path: Path
) -> None:
    tree = await make_small_tree(owner)
    vault = load_vault(tmp_path)
    for number in NUMBERS:
        child = await make_child(owner, tree.lahore_community)
        await name_child(owner, child, "Test child")
        key_id, ciphertext = vault.encrypt(number, child_id=child)
        await owner.execute(
            "UPDATE child_identities SET identity_number_key_id = $2, identity_number_ciphertext = $3,"
            " identity_number_blind_index = $4 WHERE child_id = $1",
            child,
            key_id,
            ciphertext,
            vault.blind_index(number),
        )
    expected = [number.replace("-", "") for number in NUMBERS]

    added = registry(database, tmp_path, "keys", "add-identity-key")
    assert added.returncode == 0, added.stderr
    reencrypted = registry(database, tmp_path, "keys", "reencrypt-identities", "--batch-size", "2")
    assert reencrypted.returncode == 0, reencrypted.stderr
    assert "Re-encrypted 3 identity numbers under identity-0002" in reencrypted.stdout

    rotated = load_vault(tmp_path)
    rows = await stored(owner)
    assert {row["key_id"] for row in rows} == {"identity-0002"}
    assert [rotated.decrypt(r["key_id"], r["ciphertext"], child_id=r["child_id"]) for r in rows] == expected
    # The old key is no longer needed: a vault without it reads everything.
    (tmp_path / "identity-0001.key").unlink()
    without_old = load_vault(tmp_path)
    assert [
        without_old.decrypt(r["key_id"], r["ciphertext"], child_id=r["child_id"]) for r in rows
    ] == expected

    old_index = [row["blind_index"] for row in rows]
    reindexed = registry(database, tmp_path, "keys", "rotate-index-key")
    assert reindexed.returncode == 0, reindexed.stderr
    assert not (tmp_path / "blind-index.key.new").exists()
    new_vault = load_vault(tmp_path)
    rows = await stored(owner)
    assert [row["blind_index"] for row in rows] == [new_vault.blind_index(number) for number in NUMBERS]
    assert not set(old_index) & {row["blind_index"] for row in rows}
    for secret in (added.stdout, reencrypted.stdout, reindexed.stdout):
        assert not any(number in secret or number.replace("-", "") in secret for number in NUMBERS)
