"""The tamper-evident audit log.

``entry``, ``chain`` and ``verify`` are domain code (no SQL, no web): what an entry is,
how entries are hashed into a chain, and how a chain is checked. ``recording`` and
``runtime`` sit above the store and wire the log into the service. This ``__init__``
imports nothing, so the store can import the domain modules without a cycle.
"""
