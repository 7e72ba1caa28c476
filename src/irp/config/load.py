"""Load a config file for one environment: read, merge, resolve, validate, compile.

Every step collects its errors instead of stopping at the first, so one run of
``irp config check`` shows everything that needs fixing.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from irp.config.base import is_secret_path
from irp.config.document import read_document
from irp.config.messages import config_errors
from irp.config.models import Config, Refurbisher, cross_check
from irp.config.platform import PLATFORM_KEY, PlatformConfig
from irp.config.secrets import ENV_REFERENCE, OP_PREFIX, SecretResolver, is_expiring_secret
from irp.environments import PRODUCTION, STANDARD_ENVIRONMENTS
from irp.errors import ConfigError, ConfigErrors

REFURBISHER_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
MASK = "<secret>"


@dataclass(frozen=True)
class ConfigCheck:
    """What ``irp config check`` reports: the refurbishers checked, every error, warnings.

    ``config`` is None only when an error outside any refurbisher stops everything (the
    top level, the ``platform`` section, an unknown environment); a refurbisher's own
    errors set it aside in ``config.broken`` and are listed in ``errors`` too.
    """

    env: str
    refurbishers: list[str]
    errors: list[ConfigError]
    config: Config | None
    warnings: list[ConfigError] = field(default_factory=list)


def load_config(path: Path, env: str, *, resolve_secrets: bool = True) -> Config:
    """The validated config for ``env``: the healthy refurbishers, and the broken ones aside.

    A refurbisher with errors of its own is left out of ``refurbishers`` and listed in
    ``Config.broken`` with its errors, so one supplier's unset secret never stops the
    others (SPEC §1). Raises ConfigErrors only for errors outside any refurbisher
    (ConfigFileError, a subclass, when the file cannot be read or parsed at all).
    """
    check = validate_config(path, env, resolve_secrets=resolve_secrets)
    if check.config is None:
        raise ConfigErrors(check.errors)
    return check.config


def check_config(path: Path, env: str, name: str | None = None) -> list[ConfigError]:
    """Every error in the file for ``env`` (only refurbisher ``name`` if given).

    Raises ConfigFileError when the file cannot be read or parsed.
    """
    return validate_config(path, env, name).errors


def validate_config(
    path: Path, env: str, name: str | None = None, *, resolve_secrets: bool = True
) -> ConfigCheck:
    """Load and check every refurbisher; report the errors of ``name`` (all if None).

    The errors outside any refurbisher always count; with them there is no Config.
    """
    raw = read_document(path)
    if not isinstance(raw, dict):
        top = ConfigError("", "expected an object mapping refurbisher key -> refurbisher object")
        return ConfigCheck(env, [], [top], None)
    fatal = _environment_errors(raw, env)
    platform_raw = raw.pop(PLATFORM_KEY, None)
    if not raw:
        fatal.append(ConfigError("", "the file defines no refurbisher"))
    keys = list(raw)
    if name is not None and name not in raw:
        fatal.append(ConfigError(name, f"no refurbisher {name!r} in {path}; {_known(raw)}"))
        keys = []
    elif name is not None:
        keys = [name]

    resolver = SecretResolver(resolve=resolve_secrets)
    secrets: set[str] = set()
    platform, platform_merged, found = _platform(platform_raw, env, resolver, secrets)
    fatal.extend(found)
    merged: dict[str, Any] = {}
    if platform_raw is not None:
        merged[PLATFORM_KEY] = platform_merged
    refurbishers: dict[str, Refurbisher] = {}
    broken: dict[str, list[ConfigError]] = {}
    for key, value in raw.items():
        merged[key], errors = merge_environment(value, env, key)
        refurbisher, found = _refurbisher(key, merged[key], resolver, secrets)
        errors.extend(found)
        if refurbisher is not None and not errors:
            refurbisher._order_endpoint_refusal = order_endpoint_refusal(refurbisher, value, env)
            refurbishers[key] = refurbisher
        else:
            broken[key] = errors
    errors = fatal + [e for key in keys for e in broken.get(key, [])]
    if fatal:
        return ConfigCheck(env, keys, errors, None)
    warnings = [
        ConfigError(f"{key}.environments.{env}", refusal)
        for key in keys
        if key in refurbishers
        and (
            refusal := refurbishers[key].order_endpoint_refusal
            or poll_endpoint_left_over(refurbishers[key], raw.get(key), env)
        )
    ]
    config = Config(
        path=path,
        env=env,
        hash=config_hash(merged),
        refurbishers=refurbishers,
        platform=platform,
        broken=broken,
        _secret_values=frozenset(secrets),
    )
    return ConfigCheck(env, keys, errors, config, warnings)


def check_environment(path: Path, env: str) -> None:
    """Refuse an environment that no refurbisher in ``path`` defines (ConfigErrors).

    The standard ones need no file; for another, the file is read (ConfigFileError
    when it cannot be) but not validated: commands that only open the database check
    ``--env`` before a database named after a typo is created.
    """
    if env in STANDARD_ENVIRONMENTS:
        return
    raw = read_document(path)
    errors = _environment_errors(raw, env) if isinstance(raw, dict) else []
    if errors:
        raise ConfigErrors(errors)


def order_endpoint_refusal(refurbisher: Refurbisher, raw: Any, env: str) -> str | None:
    """Why orders may not go to ``refurbisher`` in ``env`` (None: they may), from its raw object.

    Outside ``production`` a refurbisher's order endpoints must have been chosen for the
    environment on purpose (SPEC §1): an ``environments.<env>`` block of its own, or
    ``"environment_endpoints_reviewed": true``. Otherwise its only endpoint, which is
    production's, would receive acceptance orders.
    """
    order = refurbisher.order
    if env == PRODUCTION or order is None or refurbisher.environment_endpoints_reviewed:
        return None
    environments = raw.get("environments") if isinstance(raw, dict) else None
    if isinstance(environments, dict) and env in environments:
        return None
    key = refurbisher.key
    host = urlsplit(order.endpoint).netloc
    return (
        f"{key} has no environments.{env} block, so in {env} its orders would go to the "
        f"endpoint it uses in production ({host}); add environments.{env} with {key}'s "
        f"{env} endpoints (order.endpoint, order.lookup.endpoint), or set "
        f'"environment_endpoints_reviewed": true on {key} if its endpoints are right for '
        f"{env}"
    )


def poll_endpoint_left_over(refurbisher: Refurbisher, raw: Any, env: str) -> str | None:
    """Why ``env``'s block looks half done: it moves ``order.endpoint`` but not the
    shipment poll's, which would still ask production's host (None: nothing to say)."""
    poll = refurbisher.shipment_poll
    if env == PRODUCTION or poll is None or refurbisher.environment_endpoints_reviewed:
        return None
    environments = raw.get("environments") if isinstance(raw, dict) else None
    block = environments.get(env) if isinstance(environments, dict) else None
    if not isinstance(block, dict):
        return None
    order = block.get("order")
    sets_order = isinstance(order, dict) and "endpoint" in order
    polled = block.get("shipment_poll")
    sets_poll = isinstance(polled, dict) and "endpoint" in polled
    if not sets_order or sets_poll:
        return None
    key = refurbisher.key
    host = urlsplit(poll.endpoint).netloc
    return (
        f"{key}.environments.{env} sets order.endpoint but not shipment_poll.endpoint, so in "
        f"{env} shipments would be polled at the endpoint it uses in production ({host}); "
        f"set shipment_poll.endpoint in environments.{env} too"
    )


def _known(raw: dict[str, Any]) -> str:
    return f"known: {', '.join(raw) or 'none'}"


def deep_merge(base: Any, override: Any) -> Any:
    """``override`` over ``base``: objects merge key by key, anything else replaces."""
    if isinstance(base, dict) and isinstance(override, dict):
        result = dict(base)
        for key, value in override.items():
            result[key] = deep_merge(base.get(key), value) if key in base else value
        return result
    return override


def merge_environment(refurbisher: Any, env: str, key: str) -> tuple[Any, list[ConfigError]]:
    """The refurbisher object with ``environments.<env>`` merged over it, and shape errors.

    An environment the refurbisher does not list means no overrides; the
    ``environments`` key itself is dropped from the result.
    """
    if not isinstance(refurbisher, dict):
        return refurbisher, []
    base = {k: v for k, v in refurbisher.items() if k != "environments"}
    environments = refurbisher.get("environments")
    if environments is None:
        return base, []
    if not isinstance(environments, dict):
        message = "expected an object mapping environment name -> overrides"
        return base, [ConfigError(f"{key}.environments", message)]
    errors: list[ConfigError] = []
    for name, overrides in environments.items():
        where = f"{key}.environments.{name}"
        if not isinstance(overrides, dict):
            errors.append(ConfigError(where, "expected an object of overrides"))
        elif "environments" in overrides:
            errors.append(ConfigError(f"{where}.environments", "environments cannot nest"))
    overrides = environments.get(env)
    if isinstance(overrides, dict):
        base = deep_merge(base, {k: v for k, v in overrides.items() if k != "environments"})
    return base, errors


def config_hash(merged: dict[str, Any]) -> str:
    """sha256 of the merged config as written (references, not secret values).

    Canonical JSON (sorted keys, Decimals as text); a secret written literally in the
    file is masked, so the hash never depends on (nor reveals) a credential.
    """
    canonical = json.dumps(
        _mask(merged, ()), sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _mask(value: Any, parts: tuple[str | int, ...]) -> Any:
    if is_secret_path(parts) and is_expiring_secret(value):
        return {k: _mask(v, parts) if k == "value" else v for k, v in value.items()}
    if isinstance(value, dict):
        return {k: _mask(v, (*parts, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v, (*parts, i)) for i, v in enumerate(value)]
    if isinstance(value, str) and is_secret_path(parts):
        is_reference = ENV_REFERENCE.fullmatch(value) or value.startswith(OP_PREFIX)
        return value if is_reference else MASK
    return value


def _environment_errors(raw: dict[str, Any], env: str) -> list[ConfigError]:
    declared = {
        name
        for refurbisher in raw.values()
        if isinstance(refurbisher, dict) and isinstance(refurbisher.get("environments"), dict)
        for name in refurbisher["environments"]
    }
    known = STANDARD_ENVIRONMENTS | declared
    if env in known:
        return []
    listing = ", ".join(sorted(known))
    return [
        ConfigError("", f"environment {env!r} is not defined by any refurbisher; known: {listing}")
    ]


def _platform(
    raw: Any, env: str, resolver: SecretResolver, secrets: set[str]
) -> tuple[PlatformConfig, Any, list[ConfigError]]:
    """The ``platform`` section for ``env`` (defaults when absent), merged, and its errors.

    Its errors are not any refurbisher's: they concern the whole installation.
    """
    if raw is None:
        return PlatformConfig(), None, []
    merged, errors = merge_environment(raw, env, PLATFORM_KEY)
    if not isinstance(merged, dict):
        return PlatformConfig(), merged, [ConfigError(PLATFORM_KEY, "expected an object")]
    resolution = resolver.resolve_document(merged, (PLATFORM_KEY,))
    secrets |= resolution.secrets
    errors.extend(resolution.errors)
    try:
        return PlatformConfig.model_validate(resolution.data), merged, errors
    except ValidationError as exc:
        reported = resolution.error_paths
        found = config_errors(
            exc, PlatformConfig, resolution.data, (PLATFORM_KEY,), resolution.secrets
        )
        errors.extend(e for e in found if e.path not in reported)
        return PlatformConfig(), merged, errors


def _refurbisher(
    key: str, merged: Any, resolver: SecretResolver, secrets: set[str]
) -> tuple[Refurbisher | None, list[ConfigError]]:
    if not REFURBISHER_KEY.match(key):
        message = (
            f"a refurbisher key may hold letters, digits, - and _ (it is used in URLs), got {key!r}"
        )
        return None, [ConfigError(key, message)]
    if not isinstance(merged, dict):
        return None, [ConfigError(key, "expected a refurbisher object")]
    resolution = resolver.resolve_document(merged, (key,))
    secrets |= resolution.secrets
    errors = list(resolution.errors)
    data = {"name": key, **resolution.data}
    refurbisher: Refurbisher | None = None
    try:
        refurbisher = Refurbisher.model_validate(data)
    except ValidationError as exc:
        reported = resolution.error_paths
        found = config_errors(exc, Refurbisher, data, (key,), resolution.secrets)
        errors.extend(e for e in found if e.path not in reported)
    compiled, compile_errors = _compile_order(data.get("order"), key)
    errors.extend(compile_errors)
    if refurbisher is None:
        return None, errors
    errors.extend(cross_check(refurbisher, key))
    refurbisher._key = key
    refurbisher._secret_expiries = dict(resolution.expiries)
    order = refurbisher.order
    if order is not None:
        order._template = compiled.get("template")
        order._asserts = compiled.get("asserts")
        if order.lookup is not None:
            order.lookup._found_asserts = compiled.get("found")
            order.lookup._not_found_asserts = compiled.get("not_found")
    return refurbisher, errors


def _compile_order(order: Any, key: str) -> tuple[dict[str, Any], list[ConfigError]]:
    """Compile the payload template and assert rules, wherever their shape allows."""
    if not isinstance(order, dict):
        return {}, []
    from irp.template.asserts import compile_asserts, validate_fields
    from irp.template.payload import compile_template

    compiled: dict[str, Any] = {}
    errors: list[ConfigError] = []

    def attempt(name: str, build: Any, *args: Any, path: str) -> None:
        try:
            compiled[name] = build(*args, path=path)
        except ConfigErrors as exc:
            errors.extend(exc.errors)
        except ConfigError as exc:
            errors.append(exc)

    order_object = order.get("order_object")
    item_object = order.get("item_object", {})
    if _string_map(order_object) and _string_map(item_object):
        attempt("template", compile_template, order_object, item_object, path=f"{key}.order")
    response = order.get("response_object", {})
    asserts = response.get("asserts", {}) if isinstance(response, dict) else None
    if _string_map(asserts):
        where = f"{key}.order.response_object.asserts"
        attempt("asserts", compile_asserts, asserts, path=where)
    fields = response.get("fields", {}) if isinstance(response, dict) else None
    if _string_map(fields):
        attempt("fields", validate_fields, fields, path=f"{key}.order.response_object.fields")
    lookup = order.get("lookup")
    for part in ("found", "not_found"):
        section = lookup.get(part) if isinstance(lookup, dict) else None
        rules = section.get("asserts", {}) if isinstance(section, dict) else None
        if _string_map(rules):
            where = f"{key}.order.lookup.{part}.asserts"
            attempt(part, compile_asserts, rules, path=where)
        fields = section.get("fields", {}) if isinstance(section, dict) else None
        if _string_map(fields):
            where = f"{key}.order.lookup.{part}.fields"
            attempt(f"{part}_fields", validate_fields, fields, path=where)
    return compiled, errors


def _string_map(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
