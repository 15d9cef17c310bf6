"""Synthetic plans for benchmarks and demos (see ``deconflict.synth.plan``)."""

from deconflict.synth.plan import (
    DEFAULT_REGION,
    DEFAULT_START,
    PARTIES,
    Region,
    generate_plan,
    write_plan,
)

__all__ = ["DEFAULT_REGION", "DEFAULT_START", "PARTIES", "Region", "generate_plan", "write_plan"]
