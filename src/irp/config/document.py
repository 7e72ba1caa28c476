"""Reading the config file: JSON (numbers as exact Decimals) or YAML."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from irp.errors import ConfigError, ConfigErrors

YAML_SUFFIXES = (".yaml", ".yml")


class ConfigFileError(ConfigErrors):
    """The file cannot be read or parsed at all, so nothing in it could be checked.

    A ConfigErrors with a single error naming the file, so ``except ConfigErrors``
    still catches it; the CLI tells it apart to exit 2 instead of 1.
    """

    def __init__(self, file: Path, message: str) -> None:
        super().__init__([ConfigError(str(file), message)])
        self.path = str(file)
        self.message = message
        self.args = (f"{file}: {message}",)


@cache
def _decimal_safe_loader() -> Any:
    """A YAML SafeLoader that reads floats as Decimal, like the JSON reader does.

    Built on first use: most configs are JSON, and every command loads the config.
    """
    import yaml

    class DecimalSafeLoader(yaml.SafeLoader):
        pass

    def decimal_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
        text = str(loader.construct_scalar(node))
        try:
            return Decimal(text.replace("_", ""))
        except InvalidOperation:  # .inf, .nan: keep YAML's meaning, validation refuses it
            return yaml.SafeLoader.construct_yaml_float(loader, node)

    DecimalSafeLoader.add_constructor("tag:yaml.org,2002:float", decimal_float)
    return DecimalSafeLoader


def read_document(path: Path) -> Any:
    """The parsed file; ConfigFileError naming the file (and line/column) if impossible.

    JSON numbers with a fraction become ``Decimal`` exactly as written (``10.1`` is
    ``Decimal("10.1")``, never binary noise); ``.yaml``/``.yml`` files are read as YAML.
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ConfigFileError(
            path, "file not found; pass --config PATH or set IRP_CONFIG"
        ) from None
    except OSError as exc:
        raise ConfigFileError(path, f"cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigFileError(path, f"is not UTF-8 text (byte {exc.start})") from None
    if path.suffix.lower() in YAML_SUFFIXES:
        return _parse_yaml(path, text)
    return _parse_json(path, text)


def _parse_json(path: Path, text: str) -> Any:
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise ConfigFileError(
            path, f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None


def _parse_yaml(path: Path, text: str) -> Any:
    import yaml

    try:
        return yaml.load(text, Loader=_decimal_safe_loader())  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise ConfigFileError(path, f"not valid YAML{where}: {problem}") from None
