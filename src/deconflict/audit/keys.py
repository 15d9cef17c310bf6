"""The audit log's own key: it signs checkpoints and receipts, and seals pending entries.

An Ed25519 key of its own, in ``<data dir>/audit/audit-key.pem`` (mode 0600), not the
RSA key that mints tokens, because:

- the two keys answer different questions. The token key says who a caller is and is
  rotated or replaced like any credential; the audit key vouches for history, and a
  party must be able to check a checkpoint it kept years ago against the key the
  service had then. Rotating one must not touch the other;
- a signature made for one purpose can never be passed off as the other (a signed
  checkpoint is not a JWT, and the token key never signs history);
- every acknowledged write carries a signed receipt: Ed25519 signs in tens of
  microseconds with 64-byte signatures, RSA-2048 in about a millisecond with 256.

The *seal* of a pending entry is an HMAC-SHA256 under a key derived from the private
key: the chainer links only entries the service sealed, so a row someone inserted
into ``audit_pending`` with SQL alone is refused, not chained and signed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from deconflict.auth.keys import create_private_file, read_private_file, write_public_file
from deconflict.errors import AuditKeyError

AUDIT_KEY_FILE = Path("audit") / "audit-key.pem"
AUDIT_PUBLIC_KEY_FILE = Path("audit") / "audit-key.pub.pem"
_SEAL_CONTEXT = b"deconflict audit seal v1\x00"


def audit_key_path(data_dir: Path) -> Path:
    return data_dir / AUDIT_KEY_FILE


def audit_public_key_path(data_dir: Path) -> Path:
    """The public half, written beside the key: what the operator hands to every party."""
    return data_dir / AUDIT_PUBLIC_KEY_FILE


class AuditKey:
    """The private key with what is derived from it."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self.private = private
        self.public = private.public_key()
        self.key_id = key_id(self.public)
        raw = private.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        seal_key = hashlib.sha256(_SEAL_CONTEXT + raw).digest().ljust(64, b"\0")
        # HMAC-SHA256 (RFC 2104) from two prepared hash states: every entry is sealed,
        # and OpenSSL's one-shot HMAC spends most of its time setting up the key.
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in seal_key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in seal_key))

    def sign(self, message: bytes) -> str:
        return b64url(self.private.sign(message))

    def seal(self, message: bytes) -> str:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def sealed(self, message: bytes, seal: str | None) -> bool:
        return seal is not None and hmac.compare_digest(self.seal(message), seal)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_id(public: Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key, base64url: names the key in every signed statement."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return b64url(hashlib.sha256(raw).digest())


def load_or_create_audit_key(data_dir: Path) -> AuditKey:
    """The service's audit key, created on first use (as ``auth.keys`` does its own:
    written to a temporary file and hard-linked into place, so two processes starting
    at once share one key)."""
    path = audit_key_path(data_dir)
    if not path.exists():
        _create(path)
    key = load_audit_key(path)
    _write_public(audit_public_key_path(data_dir), key.public)
    return key


def audit_key_if_present(data_dir: Path) -> AuditKey | None:
    """The key when the data directory has one (maintenance commands never create it)."""
    path = audit_key_path(data_dir)
    return load_audit_key(path) if path.exists() else None


def load_audit_key(path: Path) -> AuditKey:
    key = read_private_file(path, "audit key", AuditKeyError)
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditKeyError(f"audit key {path} is not an Ed25519 key")
    return AuditKey(key)


def load_audit_public_key(path: Path) -> Ed25519PublicKey:
    """A party's copy of the service's public audit key (PEM)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AuditKeyError(f"cannot read audit public key {path}: {exc.strerror}") from exc
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise AuditKeyError(f"{path} is not a PEM public key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise AuditKeyError(f"{path} is not an Ed25519 public key")
    return key


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _create(path: Path) -> None:
    create_private_file(
        path,
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def _write_public(path: Path, key: Ed25519PublicKey) -> None:
    write_public_file(path, public_pem(key))
