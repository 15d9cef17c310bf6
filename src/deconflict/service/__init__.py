"""The composition root: one typed ``Services`` built from the settings, with the
workers it starts and stops.

It sits above the store and notifications and below the API and the CLI: the wiring
that needs SQL and the outbox together (audit hooks, the hotline's delivery, the live
picture's events) lives here, so the domain packages below stay free of it.

Layout: ``services`` (the ``Services`` object), ``notify_parts`` (recorder, party bus,
delivery worker), ``hotline_parts`` (hotline and escalation loop), ``audit_hooks`` (what
each change appends to the audit log), ``auth_failures`` (the tally of 401s),
``audit_chainer`` (links audit entries after commit), ``live_picture`` (the tactical
picture's effects), ``metering`` (the service's figures).

This ``__init__`` imports nothing: ``from deconflict.service.services import Services``.
Importing one wiring module (say ``audit_hooks``) then does not pull in every other.
"""
