"""The `commonweave` command. `commonweave traces` is run without importing the rest of the CLI
(the stack runner pulls in FastAPI, FastStream and every contract: over a second of start-up
an operator would wait on each look at a trace); everything else goes to `deploy.cli`."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:2] == ["traces"]:
        from deploy.traces import traces_app

        traces_app(args=sys.argv[2:], prog_name="commonweave traces")
    else:
        from deploy.cli import app

        app()


if __name__ == "__main__":
    main()
