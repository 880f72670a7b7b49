"""``python -m forecast.cli``: the ``forecast`` command, for environments without the console script."""

from __future__ import annotations

from forecast.cli import main

__all__: list[str] = []

if __name__ == "__main__":
    main()
