"""National registration numbers (B-Form / CRC / CNIC): encrypted at rest, searchable through a blind index.

The number is stored only as AES-256-GCM ciphertext, bound to its child by the associated data, so a
ciphertext copied onto another child does not decrypt. Exact-match search and duplicate detection compare
a *blind index* instead: an HMAC-SHA256 of the normalised number under a separate key, which reveals
nothing without that key and never needs the plain text in SQL.

Keys are files in the deployment's keys directory (``<data_dir>/keys`` or ``REGISTRY_SIGNING_KEYS_DIR``),
created on first use, readable by their owner only:

- ``identity-NNNN.key``: encryption keys. The newest encrypts; every one decrypts, so rotating is adding a
  file and then re-encrypting (``registry keys reencrypt-identities``) before an old file is retired.
- ``blind-index.key``: the index key. It cannot rotate without recomputing every index from the decrypted
  numbers: ``registry keys rotate-index-key`` writes ``blind-index.key.new``, recomputes every index with it
  and then moves it into place (an interrupted run picks the same new key up again).

Running API processes read the keys when they start: restart them after adding a key and before
re-encrypting, and right after rotating the index key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from registry.errors import InvalidInput

__all__ = ["IdentityNumberVault", "create_identity_key", "load_vault", "normalise_identity_number"]

KEY_BYTES = 32
NONCE_BYTES = 12
_SEPARATORS = re.compile(r"[\s\-./]")
_VALID = re.compile(r"^[A-Z0-9]{5,32}$")


def normalise_identity_number(number: str) -> str:
    """The canonical form that is encrypted and indexed: separators dropped, letters upper case.

    ``35202-1234567-1`` and ``3520212345671`` are the same number.
    """
    canonical = _SEPARATORS.sub("", number).upper()
    if not _VALID.fullmatch(canonical):
        raise InvalidInput(
            "An identity number has 5 to 32 letters or digits (separators such as '-' are ignored).",
            field="identityNumber",
        )
    return canonical


@dataclass(frozen=True)
class IdentityNumberVault:
    """Encrypts, decrypts and blind-indexes identity numbers with the deployment's keys."""

    encryption_keys: dict[str, bytes]  # key id -> key, in creation order; the last encrypts
    index_key: bytes

    @property
    def current_key_id(self) -> str:
        return next(reversed(self.encryption_keys))

    def blind_index(self, number: str) -> bytes:
        canonical = normalise_identity_number(number)
        return hmac.new(self.index_key, canonical.encode(), hashlib.sha256).digest()

    def encrypt(self, number: str, *, child_id: int) -> tuple[str, bytes]:
        """``(key id, nonce || ciphertext)`` of the normalised number, bound to ``child_id``."""
        canonical = normalise_identity_number(number)
        key_id = self.current_key_id
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.encryption_keys[key_id]).encrypt(nonce, canonical.encode(), _aad(child_id))
        return key_id, nonce + sealed

    def decrypt(self, key_id: str, ciphertext: bytes, *, child_id: int) -> str:
        key = self.encryption_keys.get(key_id)
        if key is None:
            raise LookupError(f"identity key {key_id!r} is not in the keys directory")
        nonce, sealed = ciphertext[:NONCE_BYTES], ciphertext[NONCE_BYTES:]
        return AESGCM(key).decrypt(nonce, sealed, _aad(child_id)).decode()


def _aad(child_id: int) -> bytes:
    return f"registry:child:{child_id}:identity-number".encode()


def _write_secret(path: Path, key: bytes) -> bool:
    """Write ``key`` to a new file readable by its owner only; False if another process got there first."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as file:
        file.write(base64.b64encode(key) + b"\n")
    return True


def _read_secret(path: Path) -> bytes:
    key = base64.b64decode(path.read_bytes().strip(), validate=True)
    if len(key) != KEY_BYTES:
        raise ValueError(f"{path} does not hold a {KEY_BYTES}-byte key")
    return key


def create_identity_key(directory: Path) -> str:
    """Add a new encryption key (it becomes the one that encrypts) and return its id."""
    while True:
        existing = sorted(directory.glob("identity-*.key"))
        number = int(existing[-1].stem.removeprefix("identity-")) + 1 if existing else 1
        path = directory / f"identity-{number:04d}.key"
        if _write_secret(path, secrets.token_bytes(KEY_BYTES)):
            return path.stem


def load_vault(directory: Path) -> IdentityNumberVault:
    """The vault of the keys in ``directory``; missing keys are created (first start of a deployment)."""
    if not any(directory.glob("identity-*.key")):
        create_identity_key(directory)
    index_path = directory / "blind-index.key"
    if not index_path.exists():
        _write_secret(index_path, secrets.token_bytes(KEY_BYTES))
    files = sorted(directory.glob("identity-*.key"))
    return IdentityNumberVault(
        encryption_keys={file.stem: _read_secret(file) for file in files},
        index_key=_read_secret(index_path),
    )


def prepare_index_key(directory: Path) -> IdentityNumberVault:
    """The vault with the *next* index key (``blind-index.key.new``, created if missing)."""
    vault = load_vault(directory)
    pending = directory / "blind-index.key.new"
    if not pending.exists():
        _write_secret(pending, secrets.token_bytes(KEY_BYTES))
    return IdentityNumberVault(encryption_keys=vault.encryption_keys, index_key=_read_secret(pending))


def promote_index_key(directory: Path) -> None:
    """Make the prepared index key the one in use (an atomic rename)."""
    os.replace(directory / "blind-index.key.new", directory / "blind-index.key")
