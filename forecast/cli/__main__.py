"""``python -m forecast.cli``: the ``forecast`` command where the console script is missing."""

from __future__ import annotations

from forecast.cli import main

__all__: list[str] = []

if __name__ == "__main__":
    main()
