"""The audit key file: only its owner may read it, and it must be an Ed25519 key."""

from __future__ import annotations

from pathlib import Path

import pytest

from deconflict.audit.keys import audit_key_path, load_audit_key, load_or_create_audit_key
from deconflict.auth.keys import load_or_create_signing_key, signing_key_path
from deconflict.errors import AuditKeyError


def test_an_audit_key_readable_by_others_is_refused_with_the_fix(tmp_path: Path) -> None:
    load_or_create_audit_key(tmp_path)
    path = audit_key_path(tmp_path)
    path.chmod(0o644)
    with pytest.raises(AuditKeyError, match=r"readable by other users.*chmod 600"):
        load_audit_key(path)


def test_an_audit_key_of_another_kind_is_refused(tmp_path: Path) -> None:
    load_or_create_signing_key(tmp_path)  # an RSA key, mode 0600
    with pytest.raises(AuditKeyError, match="not an Ed25519 key"):
        load_audit_key(signing_key_path(tmp_path))


def test_a_file_that_is_not_a_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "junk.pem"
    path.write_bytes(b"not a key")
    path.chmod(0o600)
    with pytest.raises(AuditKeyError, match="not an unencrypted PEM private key"):
        load_audit_key(path)
