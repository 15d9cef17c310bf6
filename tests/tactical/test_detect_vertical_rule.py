"""The vertical rule: the zone the user states is the zone judged (issue 16, defect 2).

Loss of separation needs ``|dz| < H + tolerance``; the quantisation tolerance defaults to
0 and can only widen the zone, so no setting makes the detector report fewer conflicts
than ``H`` alone would.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deconflict.cli.tactical import app
from deconflict.errors import InvalidInput
from deconflict.tactical.detect import detect
from deconflict.tactical.separation import FT_M, ProtectedZone, TacticalParams
from deconflict.tactical.state import EARTH_RADIUS_M
from tests.tactical.helpers import Aircraft, states

runner = CliRunner()

R, H, T = 9260.0, 304.8, 300.0
GS = 200.0
ENTRY_S = 295.0
GAP_M = R + 2 * GS * ENTRY_S
"""Head-on at 200 m/s each: horizontal loss begins 295 s from now."""
DZ_M = 289.8  # 951 ft: inside a 1,000 ft half-height, outside 95 % of it


def issue_pair() -> list[dict[str, object]]:
    """Issue 16's case: two level aircraft 289.8 m apart, loss of separation at 295 s."""
    return [
        {"id": "low", "lat": 0.0, "lon": 0.0, "alt_m": 10_000.0, "gs_mps": GS,
         "track_deg": 90.0, "vs_mps": 0.0},
        {"id": "high", "lat": 0.0, "lon": math.degrees(GAP_M / EARTH_RADIUS_M),
         "alt_m": 10_000.0 + DZ_M, "gs_mps": GS, "track_deg": 270.0, "vs_mps": 0.0},
    ]  # fmt: skip


def check(tmp_path: Path, *options: str) -> tuple[int, list[dict[str, object]]]:
    path = tmp_path / "states.json"
    path.write_text(json.dumps(issue_pair()))
    result = runner.invoke(app, ["check", str(path), "--format", "json", *options])
    assert result.exit_code in (0, 1), result.stderr
    conflicts: list[dict[str, object]] = json.loads(result.stdout)["conflicts"]
    return result.exit_code, conflicts


def test_cli_reports_the_issue_pair_with_its_loss_beginning_at_295_s(tmp_path: Path) -> None:
    code, conflicts = check(
        tmp_path, "--radius-m", "9260", "--half-height-m", "304.8", "--lookahead-s", "300"
    )
    assert code == 1
    [pair] = conflicts
    assert (pair["a"], pair["b"]) == ("high", "low")
    assert pair["t_in_s"] == pytest.approx(ENTRY_S, abs=0.05)


def test_a_tolerance_widens_the_vertical_zone_and_never_narrows_it(tmp_path: Path) -> None:
    # 20 m of tolerance: a pair 315 m apart (outside H) is reported, the issue pair still is.
    wider = [dict(s) for s in issue_pair()]
    wider[1]["alt_m"] = 10_315.0
    path = tmp_path / "wider.json"
    path.write_text(json.dumps(wider))
    base = ["check", str(path), "--format", "json", "--half-height-m", "304.8"]
    assert runner.invoke(app, base).exit_code == 0
    assert runner.invoke(app, [*base, "--vertical-tolerance-m", "20"]).exit_code == 1
    assert check(tmp_path, "--vertical-tolerance-m", "20")[0] == 1


def test_the_default_tolerance_is_zero_so_the_zone_is_exactly_the_stated_one() -> None:
    zone = TacticalParams().zone
    assert zone.vertical_tolerance_m == 0.0
    assert zone.effective_half_height_m == zone.half_height_m == pytest.approx(1000 * FT_M)


def test_the_zone_judged_is_the_half_height_plus_the_tolerance() -> None:
    assert ProtectedZone(9260.0, 304.8, 7.62).effective_half_height_m == pytest.approx(312.42)


@pytest.mark.parametrize("tolerance", [-1.0, math.inf, math.nan])
def test_a_negative_or_non_finite_tolerance_is_refused_by_name(tolerance: float) -> None:
    with pytest.raises(InvalidInput) as err:
        ProtectedZone(9260.0, 304.8, tolerance)
    assert err.value.field == "vertical_tolerance_m"


def test_a_negative_tolerance_on_the_command_line_exits_2_naming_the_option(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(issue_pair()))
    result = runner.invoke(app, ["check", str(path), "--vertical-tolerance-m", "-5"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert "--vertical-tolerance-m" in result.stderr


def test_a_party_zone_may_carry_its_own_tolerance(tmp_path: Path) -> None:
    pair = [dict(s, party="jets") for s in issue_pair()]
    pair[1]["alt_m"] = 10_315.0
    path = tmp_path / "p.json"
    path.write_text(json.dumps(pair))
    base = ["check", str(path), "--format", "json"]
    assert runner.invoke(app, [*base, "--party-zone", "jets:9260:304.8"]).exit_code == 0
    assert runner.invoke(app, [*base, "--party-zone", "jets:9260:304.8:20"]).exit_code == 1


@pytest.mark.parametrize(
    ("dz_ft", "conflict"),
    [(975.0, True), (999.0, True), (1000.0, False), (1025.0, False)],
)
def test_adjacent_levels_conflict_exactly_when_reported_closer_than_h(
    dz_ft: float, conflict: bool
) -> None:
    # Quantised reports of adjacent flight levels are judged as reported: caution, not less.
    pair: list[Aircraft] = [
        (50.0, 0.0, 33_000 * FT_M, 200.0, 0.0, 0.0),
        (50.0, 0.0, (33_000 + dz_ft) * FT_M, -200.0, 0.0, 0.0),
    ]
    assert (len(detect(states(pair), TacticalParams())) == 1) is conflict
