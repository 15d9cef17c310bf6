"""Tactical deconfliction: live state vectors in, predicted losses of separation out.

The package is the tactical core (detection, alerts, advisories, conformance) and
imports nothing from the web or SQL layers.
Modules, one job each:

- ``settings``: protected-zone sizes, lookahead, per-party overrides.
- ``state``: validated state vectors, unit conversion, the Earth model.
- ``detect``: the pairwise closest-point-of-approach maths (vectorised NumPy).
- ``broadphase``: the conservative candidate search that keeps detection sub-quadratic.
- ``alerts``: alert lifecycle and severity with hysteresis.
- ``resolution``: modified-voltage-potential resolution advisories and their check.
- ``conformance``: the per-operation conformance state machine.

Nothing is re-exported here: a package attribute named ``detect`` would shadow the
``detect`` module, so import from the modules themselves.
"""
