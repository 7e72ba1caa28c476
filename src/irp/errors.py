"""The IRP exception tree, grouped by what the caller does next.

::

    IrpError                         root: every error IRP raises on purpose
    ├── ConfigError                  fix the config file; carries the JSON path
    │   └── ConfigErrors             several ConfigErrors reported together
    ├── StoreError                   the database cannot be used as asked
    │   ├── EnvironmentMismatchError the database belongs to another environment
    │   ├── OffersChangedError       another writer changed the offers a sync planned against
    │   └── LockLostError            a lease expired and was taken over while its holder worked
    ├── SourceError                  a feed source could not be read; nothing changed
    │   ├── SourceNotFoundError      host name does not resolve / file missing
    │   ├── SourceConnectionError    refused, reset, timed out
    │   ├── SourceAuthError          login refused
    │   └── HostKeyError             unknown or changed SSH host key
    ├── FeedError                    the feed was read but the sync is refused; nothing changed
    ├── RowError                     one feed row is skipped and reported (not raised across a sync)
    ├── OrderError                   an inbound order or an operator action is refused
    ├── TemplateError                a payload template cannot be compiled or rendered
    ├── ShipmentError                a shipment delivery cannot be taken; nothing changed
    │   ├── WebhookAuthError         bad or missing signature, or a replay (HTTP 401)
    │   └── ShipmentPayloadError     the body does not fit the configured fields (HTTP 422)
    ├── SupplierError                talking to a refurbisher's order API went wrong
    │   ├── RetriableSupplierError   certainly not acted on: safe to send again later
    │   ├── FatalSupplierError       refused or misconfigured: do not send again
    │   └── UncertainDeliveryError   maybe acted on: look it up, never resend blindly
    │       └── AnswerTooLargeError  the answer's body is over the size IRP reads
    └── OdooError                    booking a purchase order in Odoo went wrong; its
                                     subtree is drawn in irp.odoo.errors

Messages name the refurbisher, the thing and the fix, and never carry a secret.
"""

from __future__ import annotations


class IrpError(Exception):
    """Root of every error IRP raises on purpose."""


class ConfigError(IrpError):
    """The configuration is wrong at ``path`` (a dotted JSON path)."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


class ConfigErrors(ConfigError):
    """Several configuration errors, reported together so one run shows them all."""

    def __init__(self, errors: list[ConfigError]) -> None:
        self.errors = errors
        lines = "\n".join(f"  - {e}" for e in errors)
        IrpError.__init__(self, f"{len(errors)} configuration error(s):\n{lines}")
        self.path = ""
        self.message = str(self)


class StoreError(IrpError):
    """The database cannot be used as asked."""


class EnvironmentMismatchError(StoreError):
    """The database was created for another environment and refuses this one."""


class OffersChangedError(StoreError):
    """Another writer changed a refurbisher's offers since a sync read them: plan again."""


class LockLostError(StoreError):
    """A lease ran out and another process took it over: stop writing under it."""


class SourceError(IrpError):
    """A feed source could not be read. The sync fails; nothing stored changes."""


class SourceNotFoundError(SourceError):
    """The host name does not resolve, or the file is not there."""


class SourceConnectionError(SourceError):
    """The connection was refused, reset or timed out."""


class SourceAuthError(SourceError):
    """The source refused the credentials."""


class HostKeyError(SourceError):
    """The SSH server's host key is unknown or differs from the pinned one."""

    def __init__(self, message: str, fingerprint: str) -> None:
        self.fingerprint = fingerprint
        super().__init__(message)


class FeedError(IrpError):
    """The feed was read but must not be applied (empty, truncated, missing column...)."""


class RowError(IrpError):
    """One feed row cannot be used: skipped and reported with line, column and reason."""

    def __init__(self, line: int, column: str, message: str) -> None:
        self.line = line
        self.column = column
        self.message = message
        super().__init__(f"line {line}, column {column!r}: {message}")


class OrderError(IrpError):
    """An inbound order or an operator action is refused."""


class TemplateError(IrpError):
    """A payload template cannot be compiled (config load) or rendered (an order)."""


class ShipmentError(IrpError):
    """A shipment delivery (webhook or poll answer) cannot be taken; nothing changed."""


class WebhookAuthError(ShipmentError):
    """The delivery's signature or token is missing or wrong, or it is a replay."""


class ShipmentPayloadError(ShipmentError):
    """The body is not JSON, or does not hold what ``fields`` points at."""


class SupplierError(IrpError):
    """Talking to a refurbisher's order API went wrong."""


class RetriableSupplierError(SupplierError):
    """The refurbisher certainly did not act on the request: it may be sent again."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class FatalSupplierError(SupplierError):
    """Refused (400/422) or misconfigured (401/403/404...): sending again will not help."""


class UncertainDeliveryError(SupplierError):
    """The refurbisher may have acted on the request: look it up, never resend blindly."""


class AnswerTooLargeError(UncertainDeliveryError):
    """An answer's body is larger than IRP reads (``irp.http_limits``): what it said is
    unknown, so a request that may change something may have been acted on."""
