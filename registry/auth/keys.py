"""The deployment's token-signing keys.

RSA keys (RS256) as PEM files in ``<data_dir>/keys`` (or ``REGISTRY_SIGNING_KEYS_DIR``). The newest
file signs;
every file's public key is published in the JWKS, so a new key can be added before the old one is retired
and tokens signed with the old key stay valid until they expire. A key is created on first use.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import ECKey, KeySet, OctKey, OKPKey, RSAKey

ALGORITHM = "RS256"


@dataclass(frozen=True)
class SigningKeys:
    signing: RSAKey
    verifying: KeySet

    @property
    def jwks(self) -> dict[str, Any]:
        """The public keys, as served at ``/.well-known/jwks.json``."""
        return dict(self.verifying.as_dict(private=False))


def create_key_file(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    existing = sorted(directory.glob("signing-*.pem"))
    number = int(existing[-1].stem.removeprefix("signing-")) + 1 if existing else 1
    path = directory / f"signing-{number:04d}.pem"
    # Readable by the owner only.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(pem)
    return path


def load_signing_keys(directory: Path) -> SigningKeys:
    files = sorted(directory.glob("signing-*.pem"))
    if not files:
        files = [create_key_file(directory)]
    keys: list[OctKey | RSAKey | ECKey | OKPKey] = []
    for file in files:
        key = RSAKey.import_key(file.read_bytes(), {"use": "sig", "alg": ALGORITHM})
        key.ensure_kid()
        keys.append(key)
    signing = keys[-1]
    assert isinstance(signing, RSAKey)
    return SigningKeys(signing=signing, verifying=KeySet(keys))
