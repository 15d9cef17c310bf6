"""Opaque ids for messages and conflicts.

Random (about 119 bits), so an id can be neither guessed nor probed for existence, and
drawn from consonants only: an id can never contain a word or an operation id such as
``a1`` by chance, so a test (or a party) searching a notice for the other side's name
cannot be fooled by one.
"""

from __future__ import annotations

import secrets

ALPHABET = "bcdfghjkmnpqrstvwxz"
LENGTH = 28


def opaque_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
