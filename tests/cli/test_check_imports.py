"""``deconflict check`` imports what checking a plan needs, not the service's stack:
at 100,000 operations the settings tree and the JWT and HTTP libraries were a fifth of
the command's time in its one serial process (0.55 CPU-s of imports)."""

from __future__ import annotations

import subprocess
import sys


def test_the_check_command_does_not_import_the_settings_tree_nor_token_libraries() -> None:
    code = (
        "import sys, deconflict.cli.check\n"
        "heavy = ['deconflict.settings', 'pydantic_settings', 'jwt', 'httpx', 'cryptography']\n"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert found == ""


def test_the_policy_is_the_same_enum_wherever_it_is_imported_from() -> None:
    from deconflict.auth import TokenVerifier
    from deconflict.auth.verify import TokenVerifier as Direct
    from deconflict.equal_priority import EqualPriorityPolicy
    from deconflict.settings import EqualPriorityPolicy as FromSettings

    assert FromSettings is EqualPriorityPolicy
    assert TokenVerifier is Direct


def test_the_command_keeps_freed_memory_where_the_c_library_allows_it() -> None:
    """On glibc (this machine) the allocator's thresholds are set; a wrong library or
    symbol name would silently give the page faults back (0.4 CPU-s at 100,000)."""
    import platform

    code = "from deconflict.cli.check import keep_freed_memory as k; print(k())"
    applied = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    glibc = platform.libc_ver()[0] == "glibc"
    assert applied == str(glibc)
