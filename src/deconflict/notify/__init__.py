"""Durable notifications: an outbox written with each change, delivered after commit.

Layout: ``recorder`` writes (inside the change's transaction), ``worker`` delivers F3548
notifications to USSs, ``stream`` reads a party's event log for SSE and WebSocket,
``bodies`` says what a party event contains (an F3548 notification's body is the wire
format's: ``deconflict.dss.wire.uss_notifications``), ``disclosure`` decides whether a
conflict notice names the other side. ``deconflict.service.notify_parts`` wires them for one
process.
"""
