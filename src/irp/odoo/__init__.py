"""Odoo purchase orders (SPEC §9): every accepted order booked in Odoo exactly once.

``client`` (over ``json2`` or ``jsonrpc``) -> ``purchase`` (the PO as data) ->
``booking`` (find, check, create, confirm) -> ``push`` (the job, with ``store``);
``check`` is ``irp odoo check``. Nothing is imported here: httpx and SQLAlchemy load
only when a command needs them.
"""
