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

Running API processes re-read the keys directory when it changes (:class:`IdentityKeyring`): they look at
most every ``REGISTRY_KEYS_CHECK_INTERVAL_SECONDS``, and at once when a number is stored under a key they do
not know yet, so keys are added, numbers re-encrypted and old keys retired while the API serves.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from registry.auth.keys import write_key_file
from registry.errors import InvalidInput

__all__ = [
    "IdentityKeyring",
    "IdentityNumberVault",
    "create_identity_key",
    "identity_key_files",
    "load_vault",
    "normalise_identity_number",
]

KEY_BYTES = 32
NONCE_BYTES = 12
_SEPARATORS = re.compile(r"[\s\-./]")
_VALID = re.compile(r"^[A-Z0-9]{5,32}$")
_INDEX_KEY = "blind-index.key"

log = logging.getLogger(__name__)


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
    # Where a running process finds keys added since this vault was read (see ``IdentityKeyring``).
    reload: Callable[[], IdentityNumberVault] | None = field(default=None, repr=False, compare=False)

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
        if key is None and self.reload is not None:
            # Re-encrypted under a key added after this vault was read.
            key = self.reload().encryption_keys.get(key_id)
        if key is None:
            raise LookupError(f"identity key {key_id!r} is not in the keys directory")
        nonce, sealed = ciphertext[:NONCE_BYTES], ciphertext[NONCE_BYTES:]
        return AESGCM(key).decrypt(nonce, sealed, _aad(child_id)).decode()


def _aad(child_id: int) -> bytes:
    return f"registry:child:{child_id}:identity-number".encode()


def _write_secret(path: Path, key: bytes) -> bool:
    """Write ``key`` to a new file readable by its owner only, all at once (processes reading the directory
    never see half a key); False if another process got there first."""
    return write_key_file(path, base64.b64encode(key) + b"\n")


def _read_secret(path: Path) -> bytes:
    key = base64.b64decode(path.read_bytes().strip(), validate=True)
    if len(key) != KEY_BYTES:
        raise ValueError(f"{path} does not hold a {KEY_BYTES}-byte key")
    return key


def identity_key_files(directory: Path) -> list[Path]:
    """The encryption keys, oldest first; the last one encrypts."""
    return sorted(directory.glob("identity-*.key"))


def create_identity_key(directory: Path) -> str:
    """Add a new encryption key (it becomes the one that encrypts) and return its id."""
    while True:
        existing = identity_key_files(directory)
        number = int(existing[-1].stem.removeprefix("identity-")) + 1 if existing else 1
        path = directory / f"identity-{number:04d}.key"
        if _write_secret(path, secrets.token_bytes(KEY_BYTES)):
            return path.stem


def load_vault(directory: Path) -> IdentityNumberVault:
    """The vault of the keys in ``directory``; missing keys are created (first start of a deployment)."""
    if not identity_key_files(directory):
        create_identity_key(directory)
    index_path = directory / _INDEX_KEY
    if not index_path.exists():
        _write_secret(index_path, secrets.token_bytes(KEY_BYTES))
    return _read_vault(directory)


def _read_vault(directory: Path) -> IdentityNumberVault:
    files = identity_key_files(directory)
    if not files:
        raise FileNotFoundError(f"no identity-number keys in {directory}")
    return IdentityNumberVault(
        encryption_keys={file.stem: _read_secret(file) for file in files},
        index_key=_read_secret(directory / _INDEX_KEY),
    )


# What a look at the directory saw: each key file's name, inode, modification time and size.
_Listing = tuple[tuple[str, int, int, int], ...]


def _listing(directory: Path) -> _Listing:
    seen = []
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.name == _INDEX_KEY or (
                entry.name.startswith("identity-") and entry.name.endswith(".key")
            ):
                stat = entry.stat()
                seen.append((entry.name, stat.st_ino, stat.st_mtime_ns, stat.st_size))
    return tuple(sorted(seen))


class IdentityKeyring:
    """The identity-number keys of a running API process, re-read when the keys directory changes.

    ``current()`` is the vault a request works with: it looks at the directory at most every
    ``check_interval`` seconds (0: on every call). Its ``decrypt`` looks again at once when a number is
    stored under a key it does not know, as after another process or ``registry keys reencrypt-identities``
    used a key added since.
    """

    def __init__(self, directory: Path, *, check_interval: float = 0.0) -> None:
        self.directory = directory
        self.check_interval = check_interval
        load_vault(directory)
        self._seen = _listing(directory)
        self._vault = self._with_reload(_read_vault(directory))
        self._next_check = time.monotonic() + check_interval

    def _with_reload(self, vault: IdentityNumberVault) -> IdentityNumberVault:
        return IdentityNumberVault(vault.encryption_keys, vault.index_key, reload=self.refresh)

    def current(self) -> IdentityNumberVault:
        if time.monotonic() >= self._next_check:
            return self.refresh()
        return self._vault

    def refresh(self) -> IdentityNumberVault:
        """Look at the directory now and take up any change."""
        self._next_check = time.monotonic() + self.check_interval
        try:
            seen = _listing(self.directory)
            if seen != self._seen:
                self._vault = self._with_reload(_read_vault(self.directory))
                self._seen = seen
                log.info("identity-number keys reloaded: %s", ", ".join(self._vault.encryption_keys))
        except (OSError, ValueError) as error:
            # Keep the keys that work; the next look tries again.
            log.error("identity-number keys in %s not reloaded: %s", self.directory, error)
        return self._vault


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
