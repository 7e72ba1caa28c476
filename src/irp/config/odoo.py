"""``platform.odoo``: where the marketplace's Odoo is and how IRP books purchase orders there.

SPEC §9: every order a refurbisher accepted becomes a drop-ship purchase order in Odoo
under the refurbisher's ``settings.odoo_vendor_id``. This model says how to reach that
Odoo (``url``, ``database``, ``api_key``, ``api``) and how the purchase order is made
(``company_id``, ``picking_type``, ``confirm``). See ``docs/odoo.md``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from irp.config.base import ConfigModel, Seconds, fail_at

OdooApi = Literal["json2", "jsonrpc"]


class OdooConfig(ConfigModel):
    """How to reach Odoo and how purchase orders are booked there."""

    url: Annotated[str, Field(pattern=r"^https?://[^\s/]+(/\S*)?$")]
    database: Annotated[str, Field(min_length=1)]
    api_key: SecretStr
    # json2: Odoo 19's /json/2 API (bearer key). jsonrpc: /jsonrpc execute_kw (Odoo 17-18).
    api: OdooApi = "json2"
    login: Annotated[str, Field(min_length=1)] | None = None
    company_id: Annotated[int, Field(ge=1)] | None = None
    # The id of the Dropship operation type (stock.picking.type). When set, the purchase
    # order uses it and the customer's address becomes its drop-ship destination.
    picking_type: Annotated[int, Field(ge=1)] | None = None
    confirm: bool = True
    connect_timeout: Seconds = 10.0
    read_timeout: Seconds = 30.0
    # How often irp serve's scheduler pushes due orders (irp odoo sync pushes now).
    push_every_seconds: Annotated[float, Field(ge=5)] = 60.0

    @field_validator("url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _login_for_jsonrpc(self) -> OdooConfig:
        if self.api == "jsonrpc" and self.login is None:
            raise fail_at(
                "login",
                "login_required",
                "required with api 'jsonrpc': the login of the Odoo user the API key "
                "belongs to (execute_kw authenticates with login and key)",
                None,
            )
        return self
