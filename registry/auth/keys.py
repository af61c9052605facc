"""The deployment's token-signing keys.

RSA keys (RS256) as PEM files ``signing-NNNN.pem`` in ``<data_dir>/keys`` (or ``REGISTRY_SIGNING_KEYS_DIR``).
The newest file signs; every file's public key is published in the JWKS and verifies, so rotating is adding a
file (``registry keys rotate-signing-key``) and, once every token the old key signed has expired, removing it
(``registry keys retire-signing-key``). A key is created on first use.

Running API processes re-read the directory when it changes, without a restart: they look at most every
``REGISTRY_KEYS_CHECK_INTERVAL_SECONDS``, and at once when a token names a key they do not know (a token
another process signed with a newer key).
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import ECKey, KeySet, OctKey, OKPKey, RSAKey

ALGORITHM = "RS256"
_PREFIX, _SUFFIX = "signing-", ".pem"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SigningKeys:
    """The keys as they were when the directory was last read."""

    signing: RSAKey
    verifying: KeySet

    @property
    def jwks(self) -> dict[str, Any]:
        """The public keys, as served at ``/.well-known/jwks.json``."""
        return dict(self.verifying.as_dict(private=False))

    def knows(self, kid: object) -> bool:
        return any(key.kid == kid for key in self.verifying.keys)


def key_files(directory: Path) -> list[Path]:
    """The signing keys, oldest first (the numbers in their names say the order)."""
    return sorted(directory.glob(f"{_PREFIX}*{_SUFFIX}"))


def write_key_file(path: Path, content: bytes) -> bool:
    """Write a file readable by its owner only under ``path``, all at once: the content goes to a private
    temporary name first and is then linked into place, so a process reading the directory never sees a
    half-written key. False if ``path`` exists already."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.link(temporary, path)
    except FileExistsError:
        return False
    finally:
        temporary.unlink(missing_ok=True)
    return True


def create_key_file(directory: Path) -> Path:
    """Add a new signing key; it becomes the one that signs. Returns its file."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    while True:
        existing = key_files(directory)
        number = int(existing[-1].stem.removeprefix(_PREFIX)) + 1 if existing else 1
        path = directory / f"{_PREFIX}{number:04d}{_SUFFIX}"
        if write_key_file(path, pem):
            return path


def _read_keys(files: list[Path]) -> SigningKeys:
    keys: list[OctKey | RSAKey | ECKey | OKPKey] = []
    for file in files:
        key = RSAKey.import_key(file.read_bytes(), {"use": "sig", "alg": ALGORITHM})
        key.ensure_kid()
        keys.append(key)
    signing = keys[-1]
    assert isinstance(signing, RSAKey)
    return SigningKeys(signing=signing, verifying=KeySet(keys))


# What a look at the directory saw: each key file's name, inode, modification time and size.
_Listing = tuple[tuple[str, int, int, int], ...]


def _listing(directory: Path) -> _Listing:
    seen = []
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.name.startswith(_PREFIX) and entry.name.endswith(_SUFFIX):
                stat = entry.stat()
                seen.append((entry.name, stat.st_ino, stat.st_mtime_ns, stat.st_size))
    return tuple(sorted(seen))


class SigningKeyring:
    """The signing keys of a directory, re-read when its key files change.

    ``current()`` looks at the directory at most every ``check_interval`` seconds (0: on every call), which
    costs a directory listing; the keys are parsed again only when the listing changed. ``generation``
    counts the changes seen, so that what was verified with the old keys can be forgotten.
    """

    def __init__(self, directory: Path, *, check_interval: float = 0.0) -> None:
        self.directory = directory
        self.check_interval = check_interval
        if not key_files(directory):
            # The first start of a deployment. Processes starting together may each add one; any works.
            create_key_file(directory)
        self._seen = _listing(directory)
        self._keys = _read_keys(key_files(directory))
        self._next_check = time.monotonic() + check_interval
        self.generation = 0

    def current(self) -> SigningKeys:
        if time.monotonic() >= self._next_check:
            return self.refresh()
        return self._keys

    def refresh(self) -> SigningKeys:
        """Look at the directory now and take up any change."""
        self._next_check = time.monotonic() + self.check_interval
        try:
            seen = _listing(self.directory)
            if seen != self._seen:
                files = [self.directory / name for name, *_ in seen]
                if not files:
                    raise FileNotFoundError(f"no signing keys left in {self.directory}")
                self._keys = _read_keys(files)
                self._seen = seen
                self.generation += 1
                log.info("signing keys reloaded: %s", ", ".join(path.name for path in files))
        except (OSError, ValueError) as error:
            # Keep the keys that work; the next look tries again.
            log.error("signing keys in %s not reloaded: %s", self.directory, error)
        return self._keys


def load_signing_keys(directory: Path, *, check_interval: float = 0.0) -> SigningKeyring:
    """The keys in ``directory`` (a first key is created when there is none)."""
    return SigningKeyring(directory, check_interval=check_interval)


@dataclass(frozen=True, slots=True)
class RetiredKeys:
    removed: list[Path]
    # Older keys that must stay a while yet, with the seconds until they may go.
    waiting: list[tuple[Path, float]]


def retire_signing_keys(directory: Path, *, min_age: float, now: float | None = None) -> RetiredKeys:
    """Remove every key older than the newest whose successor has signed for at least ``min_age`` seconds.

    A key stops signing when the next one is added (its file's modification time). Tokens it signed until
    then stay valid for the access-token lifetime, and a process may go on signing with it until its next
    look at the directory: ``min_age`` must cover both, and then no valid token needs the key any more.
    """
    moment = time.time() if now is None else now
    files = key_files(directory)
    removed: list[Path] = []
    waiting: list[tuple[Path, float]] = []
    for older, newer in itertools.pairwise(files):
        left = newer.stat().st_mtime + min_age - moment
        if left > 0:
            waiting.append((older, left))
        else:
            older.unlink()
            removed.append(older)
    return RetiredKeys(removed, waiting)
