"""Key rotation for identity numbers, run by operators through ``registry keys …`` as the database owner.

Re-encryption moves every number onto the newest encryption key (after ``registry keys add-identity-key``),
so an old key file can then be retired. Re-indexing recomputes every blind index under a new index key.
Both work in batches of rows locked ``FOR UPDATE SKIP LOCKED`` and commit per batch, so the API keeps
serving meanwhile and an interrupted run resumes where it stopped.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from registry.identity_numbers import IdentityNumberVault

BATCH = 2000


async def reencrypt_identity_numbers(connection: asyncpg.Connection[Any], vault: IdentityNumberVault) -> int:
    """Re-encrypt, under the vault's current key, every number stored under an older one. Returns how many."""
    done = 0
    while True:
        async with connection.transaction():
            rows = await connection.fetch(
                "SELECT child_id, identity_number_key_id, identity_number_ciphertext FROM child_identities"
                " WHERE identity_number_key_id IS DISTINCT FROM $1 AND identity_number_ciphertext IS NOT NULL"
                " ORDER BY child_id LIMIT $2 FOR UPDATE SKIP LOCKED",
                vault.current_key_id,
                BATCH,
            )
            if not rows:
                return done
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
            done += len(updates)


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
