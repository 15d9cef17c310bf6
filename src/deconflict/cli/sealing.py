"""Commands that write to the database seal their audit entries like the service does.

The service's chainer links only entries sealed with the audit key of its data
directory (``audit/keys.py``); a maintenance command that appends entries
(``deconflict parties``, ``deconflict zones import``) therefore seals them with the key
of the same data directory (``DECONFLICT_DATA_DIR``, as ``serve`` finds it). Without a
key there (no service ever ran with that data directory) its entries stay unsealed,
and a keyed chainer refuses them: ``audit verify`` then lists them.
"""

from __future__ import annotations

from pathlib import Path

from deconflict.audit.keys import audit_key_if_present
from deconflict.settings import Settings
from deconflict.store.audit import use_key
from deconflict.store.sql import SqlStore


def seal_appends(store: SqlStore, data_dir: Path | None = None) -> bool:
    """Seal what ``store`` appends with the data directory's audit key, if it has one."""
    key = audit_key_if_present(data_dir if data_dir is not None else Settings().data_dir)
    if key is None:
        return False
    use_key(store.engine, key)
    return True
