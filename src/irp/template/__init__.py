"""The small language operators write in the config: paths, casts, filters, asserts.

The order payload template, the response asserts, lookups, shipment webhooks and
polling, and the Odoo mapping all speak it, so it lives below ``config/`` and
``orders/`` and depends on neither: ``parser`` (expressions), ``paths`` (dotted
lookups), ``casts`` and ``filters`` (strict conversions), ``countries`` (names and
codes -> ISO 3166), ``payload`` (the compiled ``order_object``/``item_object``),
``asserts`` and ``rules`` (Laravel-style response rules, with ``pcre`` and ``phpcsv``
reproducing PHP's patterns and lists) and ``payload_json`` (exact JSON numbers for
Decimals).
"""

from irp.template.asserts import AssertRules, compile_asserts, extract_fields, validate_fields
from irp.template.paths import MISSING, resolve_path
from irp.template.payload import PayloadTemplate, compile_template
from irp.template.payload_json import encode_payload

__all__ = [
    "MISSING",
    "AssertRules",
    "PayloadTemplate",
    "compile_asserts",
    "compile_template",
    "encode_payload",
    "extract_fields",
    "resolve_path",
    "validate_fields",
]
