"""Runs every benchmark module in bench/ (`python -m bench`), each in its own process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main() -> int:
    failed = 0
    for module in sorted(Path(__file__).parent.glob("*.py")):
        if module.stem.startswith("_"):
            continue
        print(f"== bench.{module.stem}", flush=True)
        failed |= subprocess.call([sys.executable, "-m", f"bench.{module.stem}"])
    return failed


if __name__ == "__main__":
    sys.exit(main())
