"""The ``deployready`` command: ``deployready demo`` and ``deployready version``.

Example::

    $ deployready demo            # start the demo stack, run its checks, print the verdict
    $ deployready demo --broken   # the same with injected faults: ends NO_GO
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pytest_deployready import __version__

__all__ = ["main"]

USAGE_ERROR = 4


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deployready",
        description="Deployment checklists as executable pytest checks.",
    )
    parser.add_argument("--version", action="version", version=f"pytest-deployready {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser("demo", help="run the example checks against the embedded demo stack")
    demo.add_argument(
        "-o",
        "--output",
        default="deployready-demo",
        help="directory for record.json and report.html (default: deployready-demo)",
    )
    demo.add_argument("--broken", action="store_true", help="inject faults: the run ends NO_GO")
    demo.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    sub.add_parser("version", help="print the version")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``deployready`` console script."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage; our usage errors are 4
        code = exc.code if isinstance(exc.code, int) else 1
        return USAGE_ERROR if code == 2 else code
    if args.command == "version":
        print(f"pytest-deployready {__version__}")
        return 0
    if args.command == "demo":
        from pytest_deployready.demo import run_demo

        return run_demo(output=args.output, broken=args.broken, pytest_args=args.pytest_args)
    parser.print_help(sys.stderr)
    return USAGE_ERROR


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
