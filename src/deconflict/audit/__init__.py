"""The tamper-evident audit log, as domain code (no SQL, no web).

``entry`` says what an entry is, ``chain`` how entries are hashed into a chain,
``verify`` how a chain is checked, ``keys`` and ``statements`` how the service signs
what it vouches for, ``party`` what a party may read of it. The wiring that records
into the log and links it runs above the store, in ``deconflict.service``
(``audit_hooks``, ``audit_chainer``). This ``__init__`` imports nothing, so the store
can import the domain modules without a cycle.
"""
