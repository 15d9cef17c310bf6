"""Identifiers parties choose (operations, constraints, zones): one small ASCII alphabet.

Unicode offers look-alikes: ``alpha-1`` spelt with a Cyrillic ``a`` (U+0430) is another
id than ``alpha-1`` yet reads the same in a report, a log or a hotline message, which is enough
to make a party act on the wrong operation. Normalising (NFKC) folds some of these but
not Cyrillic or Greek letters; refusing everything outside a plain alphabet folds none
and explains itself in one sentence.
"""

from __future__ import annotations

import string

from deconflict.errors import InvalidInput

ID_ALPHABET = frozenset(string.ascii_letters + string.digits + "-_.~")
"""ASCII letters, digits, ``-``, ``_``, ``.``, ``~``: the URL-safe unreserved characters
of RFC 3986, so an id needs no escaping in a path."""
MAX_ID_CHARS = 64
ID_RULE = "1-64 characters: ASCII letters, digits, '-', '_', '.', '~'"


def check_id(value: str, field: str = "id") -> str:
    """``value`` if it is a valid id; otherwise a 400 naming ``field`` and the rule."""
    if not 0 < len(value) <= MAX_ID_CHARS or not set(value) <= ID_ALPHABET:
        raise InvalidInput(field, ID_RULE)
    return value
