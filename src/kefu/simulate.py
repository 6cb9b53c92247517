"""`kefu simulate`: stub until the queues-and-SLA area fills it in."""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    print("kefu simulate: not implemented yet", file=sys.stderr)
    return 2
