"""The FlexIT template (SPEC §1) and the SPEC §3 example order, shared by the tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

FLEXIT_ORDER_OBJECT = {
    "customerNumber": "!(int)218535",
    "yourReference": "order.order_number",
    "externalDocumentNumber": "(string)id",
    "currencyCode": "!EUR",
    "shipping.isBlindShip": "!(bool)true",
    "shipping.contact.name": "orderShippingAddress.full_name",
    "shipping.contact.email": "!no-reply@iused.nl",
    "shipping.contact.phoneNumber": "!0612345678",
    "shipping.address.postalCode": "orderShippingAddress.zipcode",
    "shipping.address.name": "orderShippingAddress.full_name",
    "shipping.address.countryCode": "orderShippingAddress.country->getIsoAlpha2",
    "shipping.address.city": "orderShippingAddress.city",
    "shipping.address.addressLine1": "orderShippingAddress.full_address",
    "lines": "%ITEMS%",
}
FLEXIT_ITEM_OBJECT = {
    "sku": "productVariant.refurbisherOffer.sku",
    "quantity": "quantity",
    "unitPrice": "(float)unit_price_tax_excl->formatByDecimal",
}


def example_context(country: str = "NL", price: Decimal = Decimal("249.00")) -> dict[str, Any]:
    """The context the orders service builds for the SPEC §3 example order."""
    return {
        "id": "5001",
        "order": {"order_number": "IU-100234"},
        "orderShippingAddress": {
            "full_name": "Jan Jansen",
            "full_address": "Damrak 1",
            "zipcode": "1012 AB",
            "city": "Amsterdam",
            "country": country,
        },
        "items": [
            {
                "quantity": 1,
                "unit_price_tax_excl": price,
                "productVariant": {
                    "refurbisherOffer": {
                        "sku": "FLX-1001",
                        "ean": "8712345678906",
                        "name": "iPhone 12 128GB",
                        "price_purchase_amount": Decimal("200.00"),
                        "price_selling_amount": Decimal("249.00"),
                    }
                },
            }
        ],
    }


#: What FlexIT expects for the SPEC §3 example order, field for field and type for type.
EXPECTED_FLEXIT_PAYLOAD: dict[str, Any] = {
    "customerNumber": 218535,
    "yourReference": "IU-100234",
    "externalDocumentNumber": "5001",
    "currencyCode": "EUR",
    "shipping": {
        "isBlindShip": True,
        "contact": {
            "name": "Jan Jansen",
            "email": "no-reply@iused.nl",
            "phoneNumber": "0612345678",
        },
        "address": {
            "postalCode": "1012 AB",
            "name": "Jan Jansen",
            "countryCode": "NL",
            "city": "Amsterdam",
            "addressLine1": "Damrak 1",
        },
    },
    "lines": [{"sku": "FLX-1001", "quantity": 1, "unitPrice": Decimal("249.00")}],
}
