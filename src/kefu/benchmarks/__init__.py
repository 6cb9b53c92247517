"""`kefu bench NAME [...]`: benchmarks that print figures against a same-run baseline."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "bot": "kefu.benchmarks.bot",
    "chat": "kefu.benchmarks.chat",
    "reports": "kefu.benchmarks.reports",
    "routing": "kefu.benchmarks.routing",
    "sweeper": "kefu.benchmarks.sweeper",
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in BENCHMARKS:
        print(f"usage: kefu bench {{{','.join(BENCHMARKS)}}} [options]", file=sys.stderr)
        return 2
    module = importlib.import_module(BENCHMARKS[argv[0]])
    code: int = module.main(argv[1:])
    return code
