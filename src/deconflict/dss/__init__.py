"""ASTM F3548-21 DSS semantics as plain Python: no web framework, no SQL.

``service.DssService`` implements every DSS operation (operational intent references,
subscriptions, constraint references, USS availability, reports) on top of a
``ports.DssTransactor``; ``deconflict.store.dss`` provides the SQL one. ``wire``
holds the F3548 wire format and its translation to and from these types;
``deconflict.api.dss`` serves it over HTTP.
"""
