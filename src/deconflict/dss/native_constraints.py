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

The other way round, the service is the USS of its native parties' constraints: a
restricted or no-fly one appears to USSs as a constraint reference with the service as
manager, under a random F3548 id (``native_constraints`` table), and an OVN derived as a
native operation's is (``dss.native_intents.native_ovn``: the reference id and the
constraint's version under the service's secret). An advisory constraint is not shown:
F3548 has no advisory kind a USS must respect, and a USS processing constraints would
refuse what the native planner accepts.
"""

from __future__ import annotations

from deconflict.dss.native_intents import NativeIdentity, native_ovn
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


SHOWN_TYPES = frozenset({ConstraintType.RESTRICTED, ConstraintType.NO_FLY})
"""The native kinds a USS sees as constraint references."""


def volume_extent(v: Volume4D) -> Extent:
    return Extent(v.footprint, v.altitude.lower_m, v.altitude.upper_m, v.time.start, v.time.end)


def native_constraint_ref(
    reference_id: str,
    c: Constraint,
    version: int,
    secret: bytes,
    identity: NativeIdentity,
) -> ConstraintRef | None:
    """The reference a USS sees for native constraint ``c``: where and when it is in
    force (its volumes cut to its validity), its version, the service as its manager;
    nothing of its owner. None when USSs are not shown it (an advisory one, or one in
    force at no time)."""
    if c.type not in SHOWN_TYPES:
        return None
    volumes = [v for _, v in c.in_force()]
    if not volumes:
        return None
    return ConstraintRef(
        id=reference_id,
        manager=identity.manager,
        version=version,
        ovn=native_ovn(secret, reference_id, version),
        uss_base_url=identity.uss_base_url,
        time_start=min(v.time.start for v in volumes),
        time_end=max(v.time.end for v in volumes),
        extents=tuple(volume_extent(v) for v in volumes),
        native=True,
    )
