"""Griffe extension: the names ``forecast/__init__.py`` imports lazily, as aliases.

``forecast`` imports its public functions on first access (``_LAZY_FUNCTIONS`` maps each name to
the module defining it), so static analysis does not see ``forecast.backtest`` and friends. This
extension reads that mapping from the package's source and adds one alias per name, so that the
API reference and cross references use the public paths ``forecast.<name>``.
"""

from __future__ import annotations

import ast
from typing import Any

import griffe

PACKAGE = "forecast"
MAPPING = "_LAZY_FUNCTIONS"


class LazyExports(griffe.Extension):
    """Add an alias ``forecast.<name>`` for every lazily imported public function."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        """Add the aliases once ``forecast`` has been loaded."""
        if pkg.path != PACKAGE:
            return
        source = pkg.members[MAPPING]
        if not isinstance(source, griffe.Attribute):
            raise TypeError(f"{PACKAGE}.{MAPPING} must be a module-level dict literal")
        mapping = ast.literal_eval(str(source.value))
        for name, module in mapping.items():
            pkg.set_member(name, griffe.Alias(name, f"{module}.{name}", parent=pkg))
