"""``deconflict generate``: write a synthetic plan for benchmarks and demos.

The plan goes to stdout unless ``--output`` is given, so it pipes straight into
``deconflict check``; the progress bar goes to stderr and only for large plans, where
waiting without feedback would be confusing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from deconflict.cli.consoles import error_console
from deconflict.synth.plan import write_plan

PROGRESS_FROM = 2000
"""Plans with at least this many operations show a progress bar on stderr."""


def generate_command(
    operations: int, seed: int, output: Path | None, stream: IO[bytes] | None = None
) -> int:
    """Write the plan to ``output`` (or ``stream``, default stdout); return the feature count."""
    if operations < 0:
        raise ValueError(f"--operations must be >= 0, got {operations}")
    target: Path | IO[bytes] = output if output is not None else (stream or sys.stdout.buffer)
    err = error_console()
    # A bar is for a person watching; redirected, stderr would get a stray blank line.
    if operations < PROGRESS_FROM or not err.is_terminal:
        return write_plan(target, operations, seed)
    progress = Progress(
        TextColumn("generating"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    with progress:
        task = progress.add_task("generate", total=operations)

        def advance(done: int) -> None:
            progress.advance(task, done)

        return write_plan(target, operations, seed, advance)


def quiet_stdout() -> None:
    """After the reader of stdout left (``generate | head``): the rest is unwanted, and
    not an error. Pointing stdout at /dev/null keeps the interpreter's final flush from
    failing on the closed pipe and printing about it."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def generate(
    operations: Annotated[
        int, typer.Option("--operations", "-n", min=0, help="Number of operations.")
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; same seed, same plan.")] = 1,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write; stdout when omitted.", dir_okay=False),
    ] = None,
) -> None:
    """Write a realistic synthetic plan (deliveries and surveys over Frankfurt) as GeoJSON."""
    try:
        generate_command(operations, seed, output)
    except BrokenPipeError:
        if output is not None:
            raise
        quiet_stdout()
        return
    except OSError as exc:
        typer.echo(f"error: cannot write {output}: {exc.strerror}", err=True)
        raise typer.Exit(code=2) from None


app = typer.Typer(add_completion=False, help="Generate synthetic plans.")
app.command(name="generate")(generate)
