"""Standard Webhooks signatures, made by the ``standardwebhooks`` package itself.

One place signs (IRP's event pushes) and computes the expected signature (the shipment
webhook's check), so both are exactly the reference implementation's:
``v1,<base64 HMAC-SHA256 of "<webhook-id>.<unix timestamp>.<body>">`` keyed with the
base64 secret after ``whsec_``.
"""

from __future__ import annotations

from datetime import datetime

from standardwebhooks import Webhook

__all__ = ["sign_standard_webhook"]


def sign_standard_webhook(secret: str, webhook_id: str, timestamp: datetime, body: bytes) -> str:
    """The ``webhook-signature`` header value (``v1,<base64>``) for ``body``.

    Raises UnicodeDecodeError for a body that is not UTF-8 (the scheme signs text).
    """
    signature: str = Webhook(secret).sign(webhook_id, timestamp, body.decode("utf-8"))
    return signature
