"""Progress of a batch job: a rich progress bar in a terminal, plain log lines otherwise.

In a terminal (standard error is a TTY) the job shows a bar of chunks done; under CI or cron
it writes one line per finished chunk to standard error, e.g.::

    forecast batch: chunk 3 of 40 done (100 series, 2 failures) in 1.8 s; 3/40 chunks, 300 series
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Literal, TextIO

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress
    from rich.progress import TaskID

__all__ = ["ProgressMode", "Progress"]

ProgressMode = Literal["auto", "bar", "log", "none"]
"""``auto``: a bar in a terminal, log lines otherwise; ``none``: silent."""


class Progress:
    """Reports finished chunks.

    Parameters
    ----------
    mode : {"auto", "bar", "log", "none"}
        How to report.
    total : int
        Chunks in the job.
    stream : file, optional
        Where to write (standard error by default).
    """

    def __init__(self, mode: ProgressMode, total: int, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        if mode == "auto":
            mode = "bar" if self.stream.isatty() else "log"
        self.mode = mode
        self.total = total
        self.done = 0
        self.series = 0
        self._bar: RichProgress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> Progress:
        """Start the bar (in ``bar`` mode)."""
        if self.mode == "bar":
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as Bar

            self._bar = Bar(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=Console(file=self.stream),
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task("chunks", total=self.total)
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop the bar."""
        if self._bar is not None:
            self._bar.stop()

    def message(self, text: str) -> None:
        """Write one line (not in ``none`` mode)."""
        if self.mode == "none":
            return
        if self._bar is not None:
            self._bar.console.print(text, highlight=False, markup=False)
        else:
            print(f"forecast batch: {text}", file=self.stream, flush=True)

    def skipped(self, chunks: int, series: int) -> None:
        """Count chunks finished by an earlier run."""
        self.done += chunks
        self.series += series
        if chunks:
            self.message(
                f"{chunks} of {self.total} chunks ({series} series) finished earlier; skipped"
            )
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=self.done)

    def advance(
        self, index: int, n_series: int, n_failures: int, seconds: float, lost: str | None = None
    ) -> None:
        """Count one finished (or lost) chunk."""
        self.done += 1
        self.series += n_series
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=self.done)
            if lost:
                self.message(f"chunk {index} lost: {lost}")
            return
        if self.mode == "log":
            what = (
                f"lost ({lost})"
                if lost
                else f"done ({n_series} series, {n_failures} failures) in {seconds:.1f} s"
            )
            self.message(
                f"chunk {index} {what}; {self.done}/{self.total} chunks, {self.series} series"
            )
