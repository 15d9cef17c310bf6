"""Imposed airspace (constraints) and agreed zones: the feature's rules and use cases.

``versions`` holds the stored, versioned forms; ``changes`` the rules (who may change
what, which version a change makes, who may read a zone's history); ``notices`` who is
told of a change and what; ``ports`` what the feature needs from the store;
``service`` the use cases the API and the CLI call. The conflict test of an operation
against a constraint or a zone stays in ``core.constraints``: planning needs it.
"""
