"""What can go wrong booking purchase orders in Odoo, grouped by what happens next.

::

    OdooError (an IrpError)        talking to Odoo, or booking one order there, went wrong
    ├── OdooUnavailableError       Odoo cannot serve anyone now: stop this pass, retry later
    │   ├── OdooConnectionError    unreachable: wrong platform.odoo.url, DNS, refused, TLS
    │   ├── OdooNoAnswerError      sent, but no answer (timeout, connection lost): a
    │   │                          create may have happened — settled by searching
    │   ├── OdooServerError        5xx / 429 / an answer that is not Odoo's
    │   ├── OdooDatabaseError      no such database: platform.odoo.database
    │   ├── OdooAuthError          the API key (or login) was refused: 401, AccessDenied
    │   └── OdooAccessError        the key's user lacks an access right: 403, AccessError
    └── OdooOrderError             this order cannot be booked as it is; the others can
        ├── OdooNotFoundError      a record, model or method does not exist: 404
        ├── OdooRequestError       Odoo refused the values or arguments: 400 / 422
        └── OdooDataError          checked before anything is created: a product that is
                                   not in Odoo, no vendor id, no purchase price

Messages name the setting or the record to fix and never carry the API key (the
transports scrub it from anything Odoo echoes back).
"""

from __future__ import annotations

from irp.errors import IrpError


class OdooError(IrpError):
    """Talking to Odoo, or booking one order there, went wrong."""


class OdooUnavailableError(OdooError):
    """Odoo cannot serve any order now (down, misaddressed, refusing the key)."""


class OdooConnectionError(OdooUnavailableError):
    """Odoo cannot be reached: nothing was sent."""


class OdooNoAnswerError(OdooUnavailableError):
    """The request was sent but no answer came: Odoo may have acted on it."""


class OdooServerError(OdooUnavailableError):
    """Odoo (or a proxy before it) answered with a server error or not like Odoo."""

    def __init__(self, message: str, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class OdooDatabaseError(OdooUnavailableError):
    """The configured database does not exist on that server."""


class OdooAuthError(OdooUnavailableError):
    """The API key (or the login it belongs to) was refused."""


class OdooAccessError(OdooUnavailableError):
    """The key's user may not do this (an access right or record rule)."""


class OdooOrderError(OdooError):
    """This order cannot be booked as it is; other orders are not affected."""


class OdooNotFoundError(OdooOrderError):
    """A record, model or method that IRP asked for does not exist in Odoo."""


class OdooRequestError(OdooOrderError):
    """Odoo refused the arguments or the values (400 / 422, a validation error)."""


class OdooDataError(OdooOrderError):
    """Found before anything was created: the order cannot become a purchase order yet."""
