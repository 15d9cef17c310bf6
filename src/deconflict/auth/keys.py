"""RSA keys: the service's own signing key pair, and public keys it is told to trust.

The private key lives in the data directory so that ``deconflict token`` and
``deconflict serve`` agree on it without any configuration. It is written with mode 0600
and refused if it later becomes readable by others, the way ssh treats its keys: a signing
key others can read lets them become any party.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import hmac
import json
import os
import stat
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from deconflict.errors import DeconflictError, KeyFileError

MIN_RSA_BITS = 2048
NEW_KEY_BITS = 2048
SIGNING_KEY_FILE = Path("auth") / "signing-key.pem"
PUBLIC_KEY_FILE = Path("auth") / "signing-key.pub.pem"


def signing_key_path(data_dir: Path) -> Path:
    return data_dir / SIGNING_KEY_FILE


def public_key_path(data_dir: Path) -> Path:
    """Where the public half is written, ready to hand to another service's trust list."""
    return data_dir / PUBLIC_KEY_FILE


def load_or_create_signing_key(data_dir: Path) -> rsa.RSAPrivateKey:
    """The service's key pair, created on first use.

    Creation writes a temporary file and hard-links it into place, so two processes
    starting at once (``serve`` and ``token``) end up sharing one key instead of each
    overwriting the other's.
    """
    path = signing_key_path(data_dir)
    if not path.exists():
        _create_signing_key(path)
    key = _load_private_key(path)
    _write_public_key(public_key_path(data_dir), key.public_key())
    return key


def _create_signing_key(path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=NEW_KEY_BITS)
    create_private_file(
        path,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def create_private_file(path: Path, pem: bytes) -> None:
    """Write a new private key file (mode 0600) once: written whole to a temporary file,
    then linked into place, so no reader sees half a key; if another process won the
    race, its key is the one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _load_private_key(path: Path) -> rsa.RSAPrivateKey:
    key = read_private_file(path, "signing key", KeyFileError, "or delete it to make a new one")
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyFileError(f"signing key {path} is not an RSA key")
    return key


def read_private_file(
    path: Path, what: str, error: type[DeconflictError], remedy: str = ""
) -> PrivateKeyTypes:
    """A private key from an unencrypted PEM file that only its owner may read; ``error``
    names ``what`` and the path for each way the file can be wrong."""
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror}") from exc
    if stat.S_IMODE(mode) & 0o077:
        raise error(
            f"{what} {path} is readable by other users (mode {stat.S_IMODE(mode):o}); "
            f"run `chmod 600 {path}`" + (f" {remedy}" if remedy else "")
        )
    try:
        return _parse_private_pem(data)
    except (ValueError, TypeError) as exc:
        raise error(f"{what} {path} is not an unencrypted PEM private key") from exc


@functools.lru_cache(maxsize=16)
def _parse_private_pem(data: bytes) -> PrivateKeyTypes:
    """Parsing checks an RSA key's consistency, ~40 ms of CPU; a process reads the same
    key file several times (app, verifier, delivery worker, list secret, CLI), so each
    content is parsed and checked once. The file is still read and its mode checked every
    time, and bytes that fail to parse fail every time (exceptions are not cached)."""
    return serialization.load_pem_private_key(data, password=None)


def _write_public_key(path: Path, key: rsa.RSAPublicKey) -> None:
    write_public_file(path, public_key_pem(key))


def write_public_file(path: Path, pem: bytes) -> None:
    """Publish a public key beside its private key, replaced atomically when it differs."""
    with contextlib.suppress(FileNotFoundError):
        if path.read_bytes() == pem:
            return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(pem)
    os.replace(tmp, path)


def public_key_pem(key: rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key(path: Path) -> rsa.RSAPublicKey:
    """A trusted RSA public key from a PEM public key or X.509 certificate file.

    Certificates are accepted because that is how many authorities publish keys; only
    the key is used, not the certificate's validity period or chain.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read trusted key {path}: {exc.strerror}") from exc
    return parse_public_key_pem(data, source=str(path))


def parse_public_key_pem(data: bytes, source: str = "PEM data") -> rsa.RSAPublicKey:
    public: object
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            public = x509.load_pem_x509_certificate(data).public_key()
        else:
            public = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise KeyFileError(f"{source} is not a PEM public key or certificate") from exc
    if not isinstance(public, rsa.RSAPublicKey):
        raise KeyFileError(f"{source} is not an RSA key; only RS256 tokens are accepted")
    check_key_size(public, source)
    return public


def check_key_size(key: rsa.RSAPublicKey, source: str) -> None:
    if key.key_size < MIN_RSA_BITS:
        raise KeyFileError(
            f"{source} is a {key.key_size}-bit RSA key; at least {MIN_RSA_BITS} bits required"
        )


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def key_id(key: rsa.RSAPublicKey) -> str:
    """RFC 7638 JWK thumbprint: a stable ``kid`` derived from the key alone.

    Deriving it means a PEM file needs no side-car metadata, and two services that trust
    the same PEM agree on its id.
    """
    numbers = key.public_numbers()
    canonical = json.dumps(
        {"e": _b64url_uint(numbers.e), "kty": "RSA", "n": _b64url_uint(numbers.n)},
        separators=(",", ":"),
        sort_keys=True,
    )
    digest = hashlib.sha256(canonical.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def public_jwk(key: rsa.RSAPublicKey) -> dict[str, str]:
    """The public key as a JWK, for publishing a JWKS (and for tests that serve one)."""
    numbers = key.public_numbers()
    return {
        "kty": "RSA",
        "use": "sig",
        "alg": "RS256",
        "kid": key_id(key),
        "n": _b64url_uint(numbers.n),
        "e": _b64url_uint(numbers.e),
    }


def derived_secret(key: rsa.RSAPrivateKey, purpose: str) -> bytes:
    """A secret of the service for one purpose, derived from its signing key.

    Every replica holds the same key (they must, to accept each other's tokens), so
    they derive the same secret with nothing more to distribute or back up; HMAC keeps
    one purpose's secret from revealing the key or another purpose's secret.
    """
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return hmac.new(der, f"deconflict:{purpose}".encode(), hashlib.sha256).digest()
