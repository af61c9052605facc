"""Key rotation for identity numbers, run by operators through ``registry keys …`` as the database owner.

Re-encryption moves every number onto the newest encryption key (after ``registry keys add-identity-key``),
so an old key file can then be retired: the numbers of ``child_identities`` and those kept by corrections in
``child_identity_history``. Re-indexing recomputes every blind index under a new index key. Re-encryption
works in batches of rows locked ``FOR UPDATE SKIP LOCKED`` and commits per batch, so the API keeps serving
meanwhile and an interrupted run resumes where it stopped; a row the API holds locked is taken up by a later
batch, and the run ends only when no number under an older key is left.
"""

from __future__ import annotations

import base64
from typing import Any

import asyncpg

from registry.identity_numbers import IdentityNumberVault

BATCH = 2000
_IDENTITIES_UNDER_OLDER_KEYS = (
    "SELECT child_id, identity_number_key_id, identity_number_ciphertext FROM child_identities"
    " WHERE identity_number_key_id IS DISTINCT FROM $1 AND identity_number_ciphertext IS NOT NULL"
    " ORDER BY child_id LIMIT $2 FOR UPDATE"
)
_HISTORY_UNDER_OLDER_KEYS = (
    "SELECT id, child_id, previous->>'identity_number_key_id' AS key_id,"
    " previous->>'identity_number_ciphertext' AS ciphertext FROM child_identity_history"
    " WHERE previous->>'identity_number_ciphertext' IS NOT NULL"
    " AND previous->>'identity_number_key_id' IS DISTINCT FROM $1"
    " ORDER BY id LIMIT $2 FOR UPDATE"
)


async def reencrypt_batch(
    connection: asyncpg.Connection[Any],
    vault: IdentityNumberVault,
    *,
    batch_size: int = BATCH,
    skip_locked: bool = True,
) -> int:
    """Re-encrypt, in one transaction, up to ``batch_size`` numbers stored under an older key (identities
    first, then the history of corrections). Returns how many; 0 when none is left, or when
    ``skip_locked`` and those left are locked by someone else."""
    skip = " SKIP LOCKED" if skip_locked else ""
    async with connection.transaction():
        rows = await connection.fetch(_IDENTITIES_UNDER_OLDER_KEYS + skip, vault.current_key_id, batch_size)
        if rows:
            updates = []
            for child_id, key_id, ciphertext in rows:
                number = vault.decrypt(key_id, ciphertext, child_id=child_id)
                new_key, new_ciphertext = vault.encrypt(number, child_id=child_id)
                updates.append((child_id, new_key, new_ciphertext))
            await connection.executemany(
                "UPDATE child_identities SET identity_number_key_id = $2, identity_number_ciphertext = $3"
                " WHERE child_id = $1",
                updates,
            )
            return len(updates)
        # A correction keeps the number it replaced, encrypted as it was (base64 in the snapshot).
        rows = await connection.fetch(_HISTORY_UNDER_OLDER_KEYS + skip, vault.current_key_id, batch_size)
        history = []
        for row_id, child_id, key_id, encoded in rows:
            number = vault.decrypt(key_id, base64.b64decode(encoded), child_id=child_id)
            new_key, new_ciphertext = vault.encrypt(number, child_id=child_id)
            history.append((row_id, new_key, base64.b64encode(new_ciphertext).decode()))
        await connection.executemany(
            "UPDATE child_identity_history SET previous = previous || jsonb_build_object("
            "'identity_number_key_id', $2::text, 'identity_number_ciphertext', $3::text) WHERE id = $1",
            history,
        )
        return len(history)


async def reencrypt_identity_numbers(
    connection: asyncpg.Connection[Any], vault: IdentityNumberVault, *, batch_size: int = BATCH
) -> int:
    """Re-encrypt, under the vault's current key, every number stored under an older one. Returns how many."""
    done = 0
    while True:
        moved = await reencrypt_batch(connection, vault, batch_size=batch_size)
        if not moved:
            # Only rows that requests held locked may be left: wait for them.
            moved = await reencrypt_batch(connection, vault, batch_size=batch_size, skip_locked=False)
            if not moved:
                return done
        done += moved


async def identity_keys_in_use(connection: asyncpg.Connection[Any]) -> dict[str, int]:
    """How many stored numbers (identities and kept corrections) each encryption key holds."""
    rows = await connection.fetch(
        "SELECT key_id, count(*) AS numbers FROM ("
        " SELECT identity_number_key_id AS key_id FROM child_identities"
        " WHERE identity_number_ciphertext IS NOT NULL"
        " UNION ALL SELECT previous->>'identity_number_key_id' FROM child_identity_history"
        " WHERE previous->>'identity_number_ciphertext' IS NOT NULL) AS stored GROUP BY key_id"
    )
    return {str(key_id): int(numbers) for key_id, numbers in rows}


async def reindex_identity_numbers(
    connection: asyncpg.Connection[Any], current: IdentityNumberVault, new_index: IdentityNumberVault
) -> int:
    """Recompute every blind index with ``new_index``'s index key, in one transaction (the unique index must
    hold throughout, and a half-reindexed table would answer searches wrongly). Returns how many."""
    async with connection.transaction():
        rows = await connection.fetch(
            "SELECT child_id, identity_number_key_id, identity_number_ciphertext FROM child_identities"
            " WHERE identity_number_ciphertext IS NOT NULL ORDER BY child_id FOR UPDATE"
        )
        updates = [
            (child_id, new_index.blind_index(current.decrypt(key_id, ciphertext, child_id=child_id)))
            for child_id, key_id, ciphertext in rows
        ]
        await connection.executemany(
            "UPDATE child_identities SET identity_number_blind_index = $2 WHERE child_id = $1", updates
        )
        return len(updates)
