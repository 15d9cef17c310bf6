"""Every error this package raises on purpose, in one hierarchy.

Each class says once what it is at the two edges: ``http_status`` is what the API
answers, ``exit_code`` what a command exits with. The rule behind the numbers is who
must act. A mistake of the caller (a field that breaks a rule, an unknown id, someone
else's operation, a stale version) is a 4xx and exit 2, and its message names what to
fix. A failure of ours (a database that does not answer, a bug) is a 5xx with an error
id and exit 3: the caller's request may well be right. Exit 1 stays what it means for
``check``: the command worked and found a problem (a conflict, a refused run).
An error no subclass claims is ours, so the base class is a 500 and exit 3. The
operator's setup (a key file, the database a command is pointed at) sits between: a
client can do nothing about it (500), the operator at the command line can (exit 2).

The hierarchy (status / exit code)::

    DeconflictError                      500 / 3  ours, unless a subclass says otherwise
    ├── UserError                        400 / 2  the caller's mistake
    │   ├── InvalidInput (ValueError)    400 / 2  a rule broken; ``field`` names the value
    │   │   ├── OverLimit                400 / 2  a value over a service limit
    │   │   └── TooLarge                 413 / 2  too many items or cells for one request
    │   ├── NotFound                     404 / 2  no such thing (or not one you may see)
    │   │   ├── UnknownMessage           404 / 2  hotline message
    │   │   └── UnknownConflict          404 / 2  hotline conflict
    │   ├── NotOwner                     403 / 2  another party's operation
    │   │   ├── NotRecipient             403 / 2  only the recipient acknowledges
    │   │   └── NotYourTrack             403 / 2  a track report naming another's operation
    │   ├── ManagedByDss                 403 / 2  a native write to an F3548 constraint
    │   ├── StaleVersion                 409 / 2  the caller's version is not the stored one
    │   ├── TransitionRefused            409 / 2  a state change the table forbids
    │   ├── Busy                         429 / 2  the party's heavy slots are taken
    │   │   └── OverBudget               429 / 2  the hour's probe budget is spent
    │   ├── RateLimited                  429 / 2  over the requests per second allowed
    │   ├── TransferError                400 / 2  an import or export file refused
    │   └── BadStatement                 400 / 2  not a statement signed by that key
    ├── OperatorError                    500 / 2  the operator's setup needs fixing
    │   ├── ConfigError                  500 / 2  a configuration file that is unusable
    │   ├── NoDatabase                   500 / 2  a command pointed at no database
    │   ├── DamagedDatabase              500 / 2  a row only a restore brings back
    │   ├── KeyFileError                 500 / 2  an unusable key file (token key)
    │   └── AuditKeyError                500 / 2  an unusable audit key file
    ├── AuthError                        401 / 2  (F3548's ``{"message"}`` body)
    │   ├── Unauthenticated              401 / 2  no token, or one we cannot trust
    │   │   └── MissingCredentials       401 / 2  no Authorization header at all
    │   ├── Forbidden                    403 / 2  known caller, not allowed
    │   └── KeysUnavailable              503 / 3  keys to check the token unreachable
    ├── DssError                         500 / 3  F3548 DSS failures (``/dss`` routes)
    │   ├── BadRequest                   400 / 2
    │   │   └── MissingOnUpdate          400 / 2  update of a missing intent/subscription
    │   ├── NotAllowed                   403 / 2
    │   ├── Conflict                     409 / 2  stale OVN or version; already exists
    │   │   ├── MissingConstraintOnUpdate 409 / 2  update of a missing constraint
    │   │   └── AirspaceConflict         409 / 2  the key lacks some OVNs
    │   ├── AreaTooLarge                 413 / 2
    │   └── NoTelemetry                  412 / 2  (USS API) an intent with no telemetry
    ├── RemoteError                      502 / 2  a service we called refused
    │   ├── ApiError                     502 / 2  ``deconflict.client``'s refusals
    │   └── ReplayRefused                502 / 1  a replayed batch refused: the run failed
    ├── ScenarioError                    502 / 1  a scenario step refused: the run failed
    ├── InternalError                    500 / 3  a bug: a rule fired on our own data
    │   └── ConflictIdTaken (ValueError) 500 / 3  a conflict id reused for other parties
    ├── StoreUnavailable                 503 / 3  the database failed (after retries)
    └── JwksFetchError                   503 / 3  a JWKS document unreachable or unusable

``NotFound`` is one class for the native API, the hotline and the F3548 routes; each edge
renders it in its own body. Two F3548 cases keep the reference DSS's statuses, which
differ on purpose (``docs/dss.md``, "Status codes"): ``MissingOnUpdate`` and
``MissingConstraintOnUpdate``.

Classes hold no web or SQL types: the API (``api/problems.py``) and the CLI
(``cli/failure.py``) read ``http_status``, ``exit_code`` and ``retry_after_s`` and
choose the body themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any, ClassVar


class DeconflictError(Exception):
    """Base of every error this package raises on purpose."""

    http_status: ClassVar[int] = 500
    exit_code: ClassVar[int] = 3
    retry_after_s: int | None = None
    """Seconds a client should wait before retrying (a ``Retry-After`` header), if any."""


# --- the caller's mistakes ----------------------------------------------------------


class UserError(DeconflictError):
    """Something the caller (a client, an operator at the command line) can fix."""

    http_status = 400
    exit_code = 2


class InvalidInput(UserError, ValueError):
    """Input that breaks a rule; ``field`` is a dotted path to the offending value.

    Carrying the field lets each edge name the field and the rule without parsing strings.
    """

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}" if field else rule)
        self.field = field
        self.rule = rule

    def within(self, prefix: str) -> InvalidInput:
        """The same error, with its field placed under ``prefix`` (e.g. ``volumes[2]``)."""
        field = f"{prefix}.{self.field}" if self.field else prefix
        return InvalidInput(field, self.rule)

    def __reduce__(self) -> tuple[type[InvalidInput], tuple[str, str]]:
        """Pickled by field and rule: the batch checker's worker processes send it back."""
        return (InvalidInput, (self.field, self.rule))


class OverLimit(InvalidInput):
    """A value over one of the service's limits (a 400, like any rule broken)."""


class TooLarge(InvalidInput):
    """A request with more items or more estimated cells than the limits allow."""

    http_status = 413


class NotFound(UserError):
    """No such thing, or none the caller may see: a 403 would confirm that the id is real."""

    http_status = 404


class UnknownMessage(NotFound):
    """No such hotline message, or not one the caller may see."""


class UnknownConflict(NotFound):
    """No such conflict, or the caller is not one of its sides."""


class NotOwner(UserError):
    """The operation exists and belongs to another party."""

    http_status = 403


class NotRecipient(NotOwner):
    """Only the recipient acknowledges: the acknowledgement says "I, addressed, read it"."""


class NotYourTrack(NotOwner):
    """A track report naming an operation of another party.

    Track ids are never refused: each party has its own namespace of them.
    """


class ManagedByDss(UserError):
    """A native write to a constraint an F3548 USS manages through the DSS API."""

    http_status = 403


class StaleVersion(UserError):
    """The caller's version of the operation is not the stored one."""

    http_status = 409


class TransitionRefused(UserError):
    """A state change the table does not allow: a 409 that names what is allowed.

    The states are the model's ``OperationState`` (typed by their ``StrEnum`` base here,
    which sits below the model); ``model.transitions.refusal`` builds one from the table.
    """

    http_status = 409

    def __init__(self, current: StrEnum, requested: StrEnum, allowed: Sequence[StrEnum]) -> None:
        self.current = current
        self.requested = requested
        self.allowed = tuple(allowed)
        names = ", ".join(s.value for s in self.allowed) or "none (Ended is terminal)"
        super().__init__(
            f"state: an operation in state {current.value} cannot become {requested.value}; "
            f"allowed from {current.value}: {names}"
        )


class Busy(UserError):
    """The party already runs as many heavy requests as it may: retry shortly."""

    http_status = 429
    retry_after_s = 1


class OverBudget(Busy):
    """The party has had its hour's planning answers about others' operations."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class RateLimited(UserError):
    """The caller (its token's subject, or its address) sent more requests per second
    than this process allows (``RateLimitSettings``); ``retry_after_s`` is when the next
    one would be let in."""

    http_status = 429

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class TransferError(UserError):
    """The file cannot be imported (or exported); nothing was written."""


class BadStatement(UserError):
    """Not a statement signed by the given key, or not of the expected type."""


# --- the operator's setup -------------------------------------------------------------


class OperatorError(DeconflictError):
    """The operator's setup needs fixing: a file, a database, a key.

    A client can do nothing about it (500 if it ever reaches a request); the operator at
    the command line can, so a command exits 2 naming what to fix.
    """

    exit_code = 2


class ConfigError(OperatorError):
    """The configuration file is missing, not TOML, or holds a key or value the
    settings refuse; the message names the file and the key."""


class NoDatabase(OperatorError):
    """A command pointed at a database that is not there (a command that only reads
    never creates one)."""


class DamagedDatabase(OperatorError):
    """The database lacks a row only a restore brings back (the audit chain head)."""


class KeyFileError(OperatorError):
    """A key file is missing, unreadable, of the wrong kind, or too widely readable."""


class AuditKeyError(OperatorError):
    """The audit key file is unreadable, of the wrong kind, or too widely readable."""


# --- authentication and authorisation -----------------------------------------------


class AuthError(DeconflictError):
    """Authentication and authorisation failures.

    Messages are meant for the caller: they say which rule the token broke, so that a
    party integrating with the service can fix its client, but never echo key material,
    signatures or the token itself.
    """

    http_status = 401
    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthenticated(AuthError):
    """The caller did not prove who it is: no token, or a token we cannot trust."""


class MissingCredentials(Unauthenticated):
    """No Authorization header: RFC 6750's challenge then carries no error code."""


class Forbidden(AuthError):
    """The caller is known but not allowed: missing scope or someone else's resource.

    ``required`` lists the scope alternatives when the refusal is about scopes, so the
    edge can advertise them in ``WWW-Authenticate`` (RFC 6750 ``insufficient_scope``).
    """

    http_status = 403

    def __init__(self, message: str, required: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.required = required


class KeysUnavailable(AuthError):
    """The keys needed to check the token could not be fetched right now.

    This is not the caller's fault: its token may well be valid. Answering 401 would make
    a well-behaved client throw away a good token; 503 tells it to retry.
    """

    http_status = 503
    exit_code = 3
    retry_after_s = 10


# --- the F3548 DSS --------------------------------------------------------------------


class DssError(DeconflictError):
    """F3548 DSS failures; the statuses follow what F3548 clients (and InterUSS's test
    suites) expect from the reference DSS, including its less obvious choices."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(DssError):
    http_status = 400
    exit_code = 2


class MissingOnUpdate(BadRequest):
    """An update (a PUT with an OVN or version) of an intent or subscription that does
    not exist: 400, because the reference DSS answers its NotFound with 400 on writes."""


class NotAllowed(DssError):
    """The caller is authenticated but may not do this (not the manager, missing scope)."""

    http_status = 403
    exit_code = 2


class Conflict(DssError):
    """Stale OVN or version, or an entity that already exists."""

    http_status = 409
    exit_code = 2


class MissingConstraintOnUpdate(Conflict):
    """An update of a constraint that does not exist: 409, because the reference DSS
    reports it as a version mismatch ("old version does not exist"), unlike intents."""


class AirspaceConflict(Conflict):
    """The key lacked the OVN of some intersecting entity; the lists say which.

    The entries are ``dss.records.IntentRef`` and ``ConstraintRef``; typed loosely here,
    below the layer that defines them.
    """

    def __init__(
        self,
        message: str,
        missing_operational_intents: Sequence[Any],
        missing_constraints: Sequence[Any],
    ) -> None:
        super().__init__(message)
        self.missing_operational_intents = tuple(missing_operational_intents)
        self.missing_constraints = tuple(missing_constraints)


class AreaTooLarge(DssError):
    """Subscription queries answer 413 for a too-large area, as the reference DSS does."""

    http_status = 413
    exit_code = 2


class NoTelemetry(DssError):
    """F3548's answer when a USS asks for the telemetry of an operational intent with
    none to give (the USS API's 412): for a native operation, no live track."""

    http_status = 412
    exit_code = 2


# --- services we call -------------------------------------------------------------------


class RemoteError(DeconflictError):
    """A service we called answered with an error; ``status`` is its HTTP status.

    For the command that called it, the request (or its token) was refused: exit 2.
    """

    http_status = 502
    exit_code = 2

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class ApiError(RemoteError):
    """``deconflict.client``: any answer other than the documented success."""


class ReplayRefused(RemoteError):
    """The service refused a replayed batch; the replay stops there (exit 1, like a
    scenario that did not turn out)."""

    exit_code = 1


class ScenarioError(DeconflictError):
    """The service refused something the scenario needs (a bad token, an error status).

    Exit 1: the run did not turn out as the scenario says, the way ``check`` exits 1.
    """

    http_status = 502
    exit_code = 1


# --- our own failures -------------------------------------------------------------------


class InternalError(DeconflictError):
    """Our own failure, never the user's: a 500 with an error id, or exit 3.

    Raised where a rule meant for input fires on something the service derived itself
    (a circle drawn as a polygon for a report, a footprint read back from the store), so
    that it cannot leave as an ``InvalidInput`` and blame the user.
    """


class ConflictIdTaken(InternalError, ValueError):
    """A conflict id registered again for other parties: a bug in the caller's ids."""


class StoreUnavailable(DeconflictError):
    """The database could not complete the transaction (after retries)."""

    http_status = 503
    retry_after_s = 1


class JwksFetchError(DeconflictError):
    """The JWKS document could not be fetched or parsed."""

    http_status = 503
