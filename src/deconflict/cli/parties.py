"""``deconflict parties``: the operator's sharing agreements and party grants.

Agreements widen what two parties see of each other beyond references (see
``deconflict.access``). Every change is written with an ``agreement`` audit entry for
each of the two parties, in the same transaction, so either can later learn from
``deconflict audit export`` when its data started (or stopped) being shown.

Grants say which priorities a party may give its operations and whether it may declare
them Nonconforming or Contingent (``access.grants``; by default priority 0 only and no
off-nominal state); each change is an audit entry for that party.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import orjson
import typer

from deconflict.access.agreements import Agreement, Grant, parse_grants
from deconflict.access.grants import PartyGrant
from deconflict.audit.entry import AGREEMENT, OPERATOR, AuditEntry
from deconflict.cli.db import resolve_url
from deconflict.cli.failure import FAILURES, exit_for
from deconflict.cli.options import Database
from deconflict.cli.sealing import seal_appends
from deconflict.errors import UserError
from deconflict.store.audit import append_audit
from deconflict.store.sharing import (
    change_grant,
    grant_json,
    grant_of,
    list_agreements,
    list_grants,
    save_agreement,
)
from deconflict.store.sql import open_store

T = TypeVar("T")

app = typer.Typer(
    name="parties",
    help="Sharing agreements: what pairs of parties see of each other beyond references.",
    no_args_is_help=True,
    add_completion=False,
)

GRANT_HELP = "One of: " + ", ".join(g.value for g in Grant) + " (repeatable)."
Grants = Annotated[list[str], typer.Option("--grant", "-g", help=GRANT_HELP)]


def _in_store(database: str | None, work: Callable[[Any], T], write: bool) -> T:
    """Run ``work`` in one transaction on the operator's database. What a write appends
    to the audit log is sealed with the data directory's key, as the service's own
    writes are: the chainer links only sealed entries."""
    try:
        store = open_store(resolve_url(database))
        try:
            if write:
                seal_appends(store)
            return store.run(work, write=write)
        finally:
            store.close()
    except FAILURES as exc:
        typer.echo(f"error: {exc}", err=True)
        raise exit_for(exc) from None


def _change(a: str, b: str, grants: frozenset[Grant], add: bool) -> Callable[[Any], Agreement]:
    def work(session: Any) -> Agreement:
        pair = Agreement(a, b, frozenset())
        current = next((x.grants for x in list_agreements(session) if x.pair == pair.pair), None)
        before = current or frozenset()
        after = (before | grants) if add else (before - grants)
        agreement = Agreement(a, b, after)
        save_agreement(session, agreement, by=OPERATOR)
        detail = {
            "other": "",
            "before": sorted(g.value for g in before),
            "after": sorted(g.value for g in after),
        }
        append_audit(
            session,
            [
                AuditEntry(
                    AGREEMENT,
                    OPERATOR,
                    p,
                    "agreement",
                    f"{agreement.a}|{agreement.b}",
                    {**detail, "other": o},
                )
                for p, o in ((agreement.a, agreement.b), (agreement.b, agreement.a))
            ],
        )
        return agreement

    return work


def _run(database: str | None, a: str, b: str, names: list[str], add: bool) -> None:
    try:
        if add and not names:
            raise UserError("give at least one --grant to share")
        grants = parse_grants(names) if names else frozenset(Grant)
    except FAILURES as exc:
        typer.echo(f"error: {exc}", err=True)
        raise exit_for(exc) from None
    agreement = _in_store(database, _change(a, b, grants, add), write=True)
    shown = ", ".join(sorted(g.value for g in agreement.grants)) or "nothing beyond references"
    typer.echo(f"{agreement.a} and {agreement.b} now see each other's: {shown}")


@app.command()
def share(a: str, b: str, grant: Grants, database: Database = None) -> None:
    """Let parties A and B see more of each other (e.g. -g operation_ids -g call_signs)."""
    _run(database, a, b, grant, add=True)


@app.command()
def revoke(
    a: str,
    b: str,
    grant: Annotated[
        list[str] | None, typer.Option("--grant", "-g", help="Default: every grant.")
    ] = None,
    database: Database = None,
) -> None:
    """Withdraw grants between A and B (all of them unless --grant is given)."""
    _run(database, a, b, grant or [], add=False)


@app.command(name="list")
def list_(
    party: Annotated[str | None, typer.Option(help="Only agreements involving this party.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines instead of text.")] = False,
    database: Database = None,
) -> None:
    """Every agreement in force."""
    found = _in_store(database, list_agreements, write=False)
    for ag in found:
        if party is not None and party not in ag.pair:
            continue
        grants = sorted(g.value for g in ag.grants)
        if as_json:
            typer.echo(orjson.dumps({"a": ag.a, "b": ag.b, "grants": grants}).decode())
        else:
            typer.echo(f"{ag.a}  {ag.b}  {', '.join(grants)}")


@app.command(name="grant")
def grant_(
    party: str,
    priority_min: Annotated[
        int | None, typer.Option(help="Lowest priority it may use (unchanged if not given).")
    ] = None,
    priority_max: Annotated[
        int | None, typer.Option(help="Highest priority it may use (unchanged if not given).")
    ] = None,
    off_nominal: Annotated[
        bool | None,
        typer.Option(
            "--off-nominal/--no-off-nominal",
            help="May it declare Nonconforming or Contingent itself (unchanged if not given).",
        ),
    ] = None,
    database: Database = None,
) -> None:
    """Set what PARTY may declare: its priority range, off-nominal states (shows it when
    no option is given)."""

    def work(session: Any) -> PartyGrant:
        current = grant_of(session, party)
        wanted = PartyGrant(
            party,
            current.priority_min if priority_min is None else priority_min,
            current.priority_max if priority_max is None else priority_max,
            current.off_nominal if off_nominal is None else off_nominal,
        )
        return current if wanted == current else change_grant(session, wanted, OPERATOR)

    granted = _in_store(database, work, write=True)
    typer.echo(f"{party}: {granted.describe()}")


@app.command()
def grants(
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines instead of text.")] = False,
    database: Database = None,
) -> None:
    """Every grant beyond the defaults (any other party: priority 0, no off-nominal state)."""
    found = _in_store(database, list_grants, write=False)
    for g in found:
        if as_json:
            typer.echo(orjson.dumps(grant_json(g)).decode())
        else:
            typer.echo(f"{g.party}  {g.describe()}")
