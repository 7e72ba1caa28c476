"""The configuration (SPEC §1): one file, every refurbisher, per environment.

``load_config`` reads the file, deep-merges ``environments.<env>`` over each
refurbisher, resolves ``${ENV}`` and ``op://`` secrets, validates everything into
frozen models and compiles the order templates, reporting every error at once.
"""

from __future__ import annotations

from irp.config.document import ConfigFileError
from irp.config.load import (
    ConfigCheck,
    check_config,
    config_hash,
    deep_merge,
    load_config,
    merge_environment,
    validate_config,
)
from irp.config.models import Config, Refurbisher
from irp.config.offers import FileAuth, HttpAuth, OffersConfig, SftpAuth
from irp.config.order import (
    BasicAuth,
    BearerAuth,
    ClientIdSecretAuth,
    HeaderAuth,
    LookupConfig,
    OAuth2ClientCredentialsAuth,
    OrderAuth,
    OrderConfig,
    ResponseObject,
)
from irp.config.settings import LevyTable, Monitoring, Settings
from irp.config.shipments import HmacAuth, ShipmentFields, ShipmentPoll, ShipmentWebhook, TokenAuth

__all__ = [
    "BasicAuth",
    "BearerAuth",
    "ClientIdSecretAuth",
    "Config",
    "ConfigCheck",
    "ConfigFileError",
    "FileAuth",
    "HeaderAuth",
    "HmacAuth",
    "HttpAuth",
    "LevyTable",
    "LookupConfig",
    "Monitoring",
    "OAuth2ClientCredentialsAuth",
    "OffersConfig",
    "OrderAuth",
    "OrderConfig",
    "Refurbisher",
    "ResponseObject",
    "Settings",
    "SftpAuth",
    "ShipmentFields",
    "ShipmentPoll",
    "ShipmentWebhook",
    "TokenAuth",
    "check_config",
    "config_hash",
    "deep_merge",
    "load_config",
    "merge_environment",
    "validate_config",
]
