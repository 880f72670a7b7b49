"""MkDocs hook: the commands' examples stay one per line in the command-line reference.

A command's help writes its examples as a verbatim paragraph: a heading line (``Examples:``)
and indented command lines, which click prints without rewrapping. mkdocs-click passes the
paragraph to Markdown, which would join its lines into one. This hook wraps mkdocs-click's
preprocessor so that, in the text it generates (and nowhere else), each such paragraph becomes
its heading line and a code block.
"""

from __future__ import annotations

import textwrap
from typing import Any

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor

MKDOCS_CLICK = "mk_click"  # the name and priority mkdocs-click registers its preprocessor with
_PRIORITY = 141
_DIRECTIVE = "::: mkdocs-click"


def verbatim_examples(lines: list[str]) -> list[str]:
    """Turn each heading line with indented lines below it into the heading and a code block.

    Parameters
    ----------
    lines : list of str
        Markdown generated from a command's help; lines inside code fences are left alone.

    Returns
    -------
    list of str
        The lines, with every paragraph of an unindented line ending in a colon followed by
        indented lines as that line and a fenced code block of the dedented lines.

    Examples
    --------
    >>> verbatim_examples(["Intro.", "", "Examples:", "  forecast models", "", "End."])
    ['Intro.', '', 'Examples:', '', '```text', 'forecast models', '```', '', 'End.']
    """
    out: list[str] = []
    in_fence = False
    i = 0
    while i < len(lines):
        line = lines[i]
        starts_paragraph = i == 0 or not lines[i - 1].strip()
        if line.startswith("```"):
            in_fence = not in_fence
        elif not in_fence and starts_paragraph and _is_heading(line):
            end = i + 1
            while end < len(lines) and lines[end].startswith("  ") and lines[end].strip():
                end += 1
            if end > i + 1:
                block = textwrap.dedent("\n".join(lines[i + 1 : end])).splitlines()
                out += [line, "", "```text", *block, "```"]
                i = end
                continue
        out.append(line)
        i += 1
    return out


def _is_heading(line: str) -> bool:
    return bool(line.strip()) and not line[0].isspace() and line.rstrip().endswith(":")


class _ClickWithExamples(Preprocessor):
    def __init__(self, md: Markdown, click: Preprocessor) -> None:
        super().__init__(md)
        self.click = click

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(lines):
            if not lines[i].startswith(_DIRECTIVE):
                out.append(lines[i])
                i += 1
                continue
            end = i + 1
            while end < len(lines) and lines[end].startswith("    :"):
                end += 1
            out += verbatim_examples(self.click.run(lines[i:end]))
            i = end
        return out


class ClickExamplesExtension(Extension):
    """Wrap mkdocs-click's preprocessor, which must be registered before this extension."""

    def extendMarkdown(self, md: Markdown) -> None:
        """Replace mkdocs-click's preprocessor in ``md`` by the wrapped one."""
        click = md.preprocessors[MKDOCS_CLICK]
        md.preprocessors.deregister(MKDOCS_CLICK)
        md.preprocessors.register(_ClickWithExamples(md, click), MKDOCS_CLICK, _PRIORITY)


def on_config(config: Any, **kwargs: Any) -> Any:
    """Add the Markdown extension after the configured ones (mkdocs-click among them)."""
    config.markdown_extensions.append(ClickExamplesExtension())
    return config
