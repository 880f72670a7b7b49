"""Griffe extension: the package's public names and its reST docstring markup, for MkDocs.

``forecast`` imports its public functions on first access (``_LAZY_FUNCTIONS`` in
``forecast/__init__.py`` maps each name to the module defining it), so static analysis does not
see ``forecast.backtest`` and friends. This extension reads that mapping from the package's
source and adds one alias per name, so that the API reference and cross references use the
public paths ``forecast.<name>``.

The numpy docstrings use reST roles (``:func:`forecast.validate```, ``:math:`S(t)```) and
``.. math::`` blocks, which Markdown shows as literal text. Before rendering, roles naming an
object become optional cross references (a link when the object is documented on the site, code
otherwise), and mathematics becomes code: the site loads no MathJax, so it reads offline.
"""

from __future__ import annotations

import ast
import re
from typing import Any

import griffe

PACKAGE = "forecast"
MAPPING = "_LAZY_FUNCTIONS"

_OBJECT_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|attr|data|exc|obj):`(~?)([^`]+)`")
_MATH_ROLE = re.compile(r":math:`([^`]+)`")
_MATH_LINE = re.compile(r"^(?P<indent>[ \t]*)\.\. math::[ \t]*(?P<formula>\S.*)?$", re.MULTILINE)


def _cross_reference(match: re.Match[str]) -> str:
    target = match.group(2).removesuffix("()")
    title = target.rsplit(".", 1)[-1] if match.group(1) else target
    return f'<autoref identifier="{target}" optional><code>{title}</code></autoref>'


def _math_block(match: re.Match[str]) -> str:
    indent, formula = match.group("indent"), match.group("formula")
    if formula is None:  # the formula follows as an indented block: a Markdown code block
        return ""
    return f"{indent}```text\n{indent}{formula}\n{indent}```"


def to_markdown(text: str) -> str:
    """Rewrite the reST roles and math directives of a docstring as Markdown.

    Parameters
    ----------
    text : str
        A docstring.

    Returns
    -------
    str
        The docstring with object roles as optional cross references and mathematics as code.

    Examples
    --------
    >>> to_markdown("See :class:`~pkg.Model` at :math:`t > 0`.")
    'See <autoref identifier="pkg.Model" optional><code>Model</code></autoref> at `t > 0`.'
    """
    text = _OBJECT_ROLE.sub(_cross_reference, text)
    text = _MATH_ROLE.sub(lambda match: f"`{match.group(1)}`", text)
    return _MATH_LINE.sub(_math_block, text)


def _objects(obj: griffe.Object) -> list[griffe.Object]:
    found = [obj]
    for member in obj.members.values():
        if not member.is_alias and isinstance(member, griffe.Object):
            found.extend(_objects(member))
    return found


class PublicApi(griffe.Extension):
    """Add an alias ``forecast.<name>`` per lazy public function; docstrings to Markdown."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        """Add the aliases and rewrite the docstrings once ``forecast`` has been loaded."""
        if pkg.path != PACKAGE:
            return
        source = pkg.members[MAPPING]
        if not isinstance(source, griffe.Attribute):
            raise TypeError(f"{PACKAGE}.{MAPPING} must be a module-level dict literal")
        mapping = ast.literal_eval(str(source.value))
        for name, module in mapping.items():
            pkg.set_member(name, griffe.Alias(name, f"{module}.{name}", parent=pkg))
        for obj in _objects(pkg):
            if obj.docstring is not None:
                obj.docstring.value = to_markdown(obj.docstring.value)
