"""The ``deployready`` command: demo, scaffold, attest, diff and version.

Example::

    $ deployready demo            # start the demo stack, run its checks, print the verdict
    $ deployready demo --broken   # the same with injected faults: ends NO_GO
    $ deployready scaffold CHECKLIST.md -o checks   # a Markdown checklist as a test suite
    $ deployready diff before.json after.json   # what changed between two records
    $ deployready attest 'checks/test_pre.py::test_pr_approved' --by "Jane" --role "Team lead"
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from pytest_deployready import __version__
from pytest_deployready._vocabulary import EXIT_USAGE_ERROR

__all__ = ["main"]

USAGE_ERROR = EXIT_USAGE_ERROR


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
    demo.add_argument(
        "--serve",
        action="store_true",
        help="only start the demo stack, print its `export` lines and run until Ctrl-C",
    )
    demo.add_argument(
        "--previous",
        action="store_true",
        help="with --serve: serve the release before the one under test; Enter deploys it",
    )
    demo.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    sub.add_parser("version", help="print the version")
    scaffold = sub.add_parser(
        "scaffold", help="turn a Markdown checklist into a test suite (one manual test per item)"
    )
    scaffold.add_argument("checklist", help="the Markdown checklist, e.g. CHECKLIST.md")
    scaffold.add_argument("-o", "--output", required=True, help="directory to write the suite to")
    scaffold.add_argument(
        "--force", action="store_true", help="write into a non-empty directory (replaces files)"
    )
    scaffold.add_argument("--title", default=None, help="report title (default: the first H1)")
    diff = sub.add_parser("diff", help="show what changed between two deployment records")
    diff.add_argument("before", help="the earlier record (JSON)")
    diff.add_argument("after", help="the later record (JSON)")
    verify = sub.add_parser(
        "verify", help="check an HTML record page against its embedded record (and a JSON file)"
    )
    verify.add_argument("page", help="the --deploy-html page")
    verify.add_argument("record", nargs="?", default=None, help="the JSON record (optional)")
    verify.add_argument(
        "--key",
        default=None,
        metavar="PUB",
        help="Ed25519 public key (PEM): also check the record's signature (needs RECORD)",
    )
    verify.add_argument(
        "--signature",
        default=None,
        metavar="ENVELOPE",
        help="the DSSE envelope (default: RECORD.dsse.json, as --deploy-sign-key writes it)",
    )
    attest = sub.add_parser(
        "attest", help="attest a manual check (or sign off a role) in the attestation file"
    )
    attest.add_argument("check", help="the check id as in the record, or 'signoff' for a role")
    attest.add_argument("--by", required=True, help="who attests")
    attest.add_argument("--role", required=True, help="their role, e.g. 'QA' or 'DevOps'")
    attest.add_argument("--note", default="", help="what was checked, where the evidence is")
    attest.add_argument("--commit", default=None, help="only valid for this git commit (prefix)")
    attest.add_argument(
        "--file",
        default="attestations.toml",
        help="attestation file to append to (default: attestations.toml); "
        "pass it to pytest as --deploy-attest FILE",
    )
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
        run_demo = _demo_runner()
        if run_demo is None:
            return USAGE_ERROR
        if args.previous and not args.serve:
            print("deployready demo: error: --previous goes with --serve", file=sys.stderr)
            return USAGE_ERROR
        return run_demo(
            output=args.output,
            broken=args.broken,
            pytest_args=args.pytest_args,
            serve=args.serve,
            previous=args.previous,
        )
    if args.command == "diff":
        return _diff(args.before, args.after)
    if args.command == "scaffold":
        return _scaffold(args.checklist, args.output, force=args.force, title=args.title)
    if args.command == "attest":
        return _attest(args)
    if args.command == "verify":
        return _verify(args.page, args.record, args.key, args.signature)
    parser.print_help(sys.stderr)
    return USAGE_ERROR


#: Where the demo lives: beside the example suites in a source checkout, not in the wheel.
DEMO_DIR = "example_suites/_demo"


def _demo_runner() -> Callable[..., int] | None:
    """``run_demo`` from the checkout's ``example_suites/_demo``, or None after one line why.

    The demo stack and the example suites it runs are not installed with the package: they are
    found next to the package (an editable install or a checkout on ``sys.path``) or in the
    current directory.
    """
    from pathlib import Path

    import pytest_deployready

    candidates = [Path(pytest_deployready.__file__).resolve().parents[1], Path.cwd()]
    for root in candidates:
        if (root / DEMO_DIR / "runner.py").is_file():
            suites = str(root / "example_suites")
            if suites not in sys.path:
                sys.path.insert(0, suites)
            from _demo.runner import run_demo

            runner: Callable[..., int] = run_demo
            return runner
    print(
        f"deployready demo: the demo is not installed with the package; it lives in {DEMO_DIR}/ "
        "of the pytest-deployready source checkout: run `make demo` there",
        file=sys.stderr,
    )
    return None


def _verify(page: str, record: str | None, key: str | None, signature: str | None) -> int:
    """``deployready verify PAGE [RECORD] [--key PUB]``: 0 when it checks out, else 1 why."""
    import json
    from pathlib import Path

    from pytest_deployready._verify import verify_page

    if key is not None and record is None:
        print("deployready verify: error: --key needs the JSON record too", file=sys.stderr)
        return USAGE_ERROR
    texts: list[str] = []
    envelope_file: str | None = None
    if key is not None and record is not None:
        from pytest_deployready._signing import envelope_path

        envelope_file = signature or str(envelope_path(Path(record)))
    for path in (page, record, envelope_file):
        if path is None:
            continue
        try:
            texts.append(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            print(f"deployready verify: error: cannot read {path}: {why}", file=sys.stderr)
            return USAGE_ERROR
    problems = verify_page(texts[0], texts[1] if len(texts) > 1 else None)
    signed = ""
    if key is not None and len(texts) == 3:
        from pytest_deployready._signing import SignatureError, verify_envelope

        try:
            envelope = json.loads(texts[2])
            statement = verify_envelope(envelope, Path(key), texts[1])
            signed = f"; signed ({statement['predicate'].get('verdict')}) by the key in {key}"
        except ValueError:
            problems.append(f"{envelope_file} is not JSON")
        except SignatureError as exc:
            if "cannot use" in str(exc) or "is not an Ed25519" in str(exc):
                print(f"deployready verify: error: {exc}", file=sys.stderr)
                return USAGE_ERROR
            problems.append(f"signature: {exc}")
    for problem in problems:
        print(f"deployready verify: {problem}")
    if problems:
        return 1
    same = f" and {record} are one record" if record else ""
    print(f"deployready verify: OK: {page}{same}{signed}")
    return 0


def _diff(before: str, after: str) -> int:
    """``deployready diff BEFORE AFTER``: print the changes; exit 4 on an unusable record."""
    from pathlib import Path

    from pytest_deployready._baseline import BaselineError, load_baseline
    from pytest_deployready._diff import diff_records, format_diff

    try:
        records = [load_baseline(Path(before)).record, load_baseline(Path(after)).record]
    except BaselineError as exc:
        print(f"deployready diff: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    print(format_diff(diff_records(*records)))
    return 0


def _scaffold(checklist: str, output: str, *, force: bool, title: str | None) -> int:
    """``deployready scaffold CHECKLIST -o DIR``: write the suite; exit 4 on a usage error."""
    from pathlib import Path

    from pytest_deployready.scaffold import ScaffoldError, scaffold

    try:
        result = scaffold(Path(checklist), Path(output), title=title, force=force)
    except ScaffoldError as exc:
        print(f"deployready scaffold: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    print(result.summary(checklist))
    return 0


def _attest(args: argparse.Namespace) -> int:
    """``deployready attest CHECK --by NAME --role ROLE``: append one entry, validated."""
    import datetime as dt
    from pathlib import Path

    from pytest_deployready._attest import (
        Attestation,
        AttestationError,
        append_attestation,
        check_id_warning,
    )

    for name in ("check", "by", "role"):
        if not getattr(args, name).strip():
            print(f"deployready attest: error: --{name} must not be empty", file=sys.stderr)
            return USAGE_ERROR
    entry = Attestation(
        by=args.by.strip(),
        role=args.role.strip(),
        check=args.check.strip(),
        at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        note=args.note,
        commit=args.commit,
    )
    try:
        append_attestation(Path(args.file), entry)
    except (AttestationError, OSError) as exc:
        print(f"deployready attest: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    what = f"sign-off of {entry.role}" if entry.check == "signoff" else entry.check
    print(f"attested {what} by {entry.by} ({entry.role}) in {args.file}")
    warning = check_id_warning(entry.check or "", Path.cwd())
    if warning is not None:  # appended all the same: the id may be of a suite elsewhere
        print(f"deployready attest: warning: {warning}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
