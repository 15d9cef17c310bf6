"""Bundled scenarios: stories played against a running service through its public API.

``build(name, now)`` returns a scenario with its times laid around ``now``; the player
(``scenarios.player``) plays it with one token per party.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from deconflict.scenarios import city, river_valley
from deconflict.scenarios.model import Scenario

BUILDERS: dict[str, Callable[[datetime], Scenario]] = {
    river_valley.NAME: river_valley.build,
    city.NAME: city.build,
}
DEFAULT = river_valley.NAME


def build(name: str, now: datetime) -> Scenario:
    try:
        builder = BUILDERS[name]
    except KeyError:
        raise KeyError(f"no scenario {name!r}; known: {', '.join(sorted(BUILDERS))}") from None
    return builder(now)
