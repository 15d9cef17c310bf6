"""The F3548-21 wire format, whatever carries it: the DSS API's messages and the
notifications a USS is sent.

``models`` are the spec's messages as pydantic models; ``convert`` turns them into the
DSS's records (``deconflict.dss.records``) and back, and is the only module that knows
both; ``uss_notifications`` writes the bodies POSTed to a subscribed USS. They sit with
``dss`` rather than with the HTTP layer because the API and the notification outbox
both speak this format, and neither should import the other to do so.
"""
