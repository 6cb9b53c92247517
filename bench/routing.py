"""Moved: the routing benchmark is `kefu bench routing` (src/kefu/benchmarks/routing.py).

.venv/bin/python bench/routing.py [--waiting 10000] [--agents 500] [--decisions 2000]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from kefu.benchmarks.routing import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
