"""The environments every installation has, without any configuration.

A refurbisher's ``environments`` block may add more; :func:`irp.config.load.check_environment`
refuses a name that neither this module nor the config file knows. Kept apart from
:mod:`irp.config` so the command line can tell a standard name at once, without
loading the config's models.
"""

from __future__ import annotations

PRODUCTION = "production"
"""The one environment whose orders are real: the only one where an order endpoint
needs no ``environments`` block of its own (SPEC §1)."""

STANDARD_ENVIRONMENTS = frozenset({"acceptance", PRODUCTION})
