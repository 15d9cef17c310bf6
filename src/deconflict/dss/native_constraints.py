"""What an F3548 constraint reference means to the native planner.

A USS that creates a constraint reference through the DSS publishes only where and
when: the rules (the constraint's ``type`` and ``geozone`` in F3548's
``ConstraintDetails``) stay on the USS's server, behind ``GET /uss/v1/constraints/{id}``,
and the DSS never sees them. The planner must still honour the constraint, so it maps
it to the strictest rule that does not lock out the one party entitled to be there:

- **restricted, with the managing USS as the only allowed party.** F3548 constraints
  are UAS volume restrictions a USS manages (typically for an authority); its own
  operations are planned knowing the details, so they are let in (and told, as a
  notice); every other party's operation is refused, since the planner cannot tell a
  no-fly area from a conditional one and must not guess the permissive way.
- Not **no-fly**: that would also refuse the managing USS's own operations, which the
  constraint exists to accommodate in the common case (an operator reserving airspace
  for its flights). Not **advisory**: a USS that processes constraints would refuse
  the same operation, so the native planner accepting it would break F3548's promise.

Altitudes an extent leaves open cover every altitude (``EVERYWHERE_ALTITUDE``), as the
reference DSS, which matches constraints on footprint and time only.
"""

from __future__ import annotations

from deconflict.dss.records import ConstraintRef, Extent
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.model.constraint import EVERYWHERE_ALTITUDE, Constraint, ConstraintType

NAME = "F3548 constraint reference"


def extent_volume(e: Extent) -> Volume4D:
    """The volume of a validated constraint extent (outline and times present)."""
    assert e.footprint is not None and e.start is not None and e.end is not None
    lower = EVERYWHERE_ALTITUDE.lower_m if e.altitude_lower_m is None else e.altitude_lower_m
    upper = EVERYWHERE_ALTITUDE.upper_m if e.altitude_upper_m is None else e.altitude_upper_m
    return Volume4D(e.footprint, AltitudeBand(lower, upper), TimeWindow(e.start, e.end))


def as_constraint(ref: ConstraintRef) -> Constraint:
    """The native constraint the planner enforces for ``ref`` (see the module's why)."""
    return Constraint(
        id=ref.id,
        type=ConstraintType.RESTRICTED,
        owner=ref.manager,
        volumes=tuple(extent_volume(e) for e in ref.extents),
        validity=TimeWindow(ref.time_start, ref.time_end),
        allowed_parties=frozenset({ref.manager}),
        name=NAME,
        details={"f3548": {"uss_base_url": ref.uss_base_url}},
    )
