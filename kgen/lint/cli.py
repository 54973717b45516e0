"""The `kgen lint` command line, on argparse: `kgen lint` must start as fast as a bare libcst
parse (it runs in pre-commit hooks on every commit), and typer with its pydantic coercion
costs more at import than linting a file does. `kgen.launch` routes `kgen lint` here."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kgen.errors import KgenError

FORMATS = ("text", "json", "sarif", "github")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2: never a usage dump or a traceback
        print(f"kgen: error: {message} (see `kgen lint --help`)", file=sys.stderr)
        raise SystemExit(2)


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}")
    return int(value)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kgen lint",
        description="Check Keras scripts and notebooks for model bugs, statically "
        "(the linted code is never imported or run).",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="files or directories (recursive); default: the current directory",
    )
    parser.add_argument(
        "--format",
        "--output-format",
        dest="output_format",
        default="text",
        choices=FORMATS,
        help="output format (default: text)",
    )
    parser.add_argument(
        "--select",
        action="append",
        metavar="CODES",
        help="rule codes or prefixes to enable, comma-separated (default: all)",
    )
    parser.add_argument(
        "--ignore",
        action="append",
        metavar="CODES",
        help="rule codes or prefixes to disable, comma-separated",
    )
    parser.add_argument("--fix", action="store_true", help="apply safe fixes")
    parser.add_argument(
        "--unsafe-fixes",
        action="store_true",
        help="also apply (with --fix/--diff) and offer unsafe fixes",
    )
    parser.add_argument(
        "--diff",
        action="store_true",
        help="print the fixes as a unified diff instead of writing them",
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=_positive,
        metavar="N",
        help="lint with N worker processes (default: one per CPU core; few files run in one)",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor write the lint cache (.kgen_cache/ at the project root)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="PYPROJECT",
        help="use this pyproject.toml instead of the nearest one",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run `kgen lint`; return the exit code (0 clean, 1 findings, 2 usage or internal error)."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2, already printed)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return _lint(args)
    except BrokenPipeError:  # `kgen lint | head`: the reader left; that is not an error
        sys.stderr.close()
        return 0
    except KgenError as exc:
        print(f"kgen: error: {exc}", file=sys.stderr)
    except Exception as exc:  # noqa: BLE001 (a one-line message, never a traceback)
        print(f"kgen: error: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
    return 2


def _lint(args) -> int:
    from kgen.lint import formats
    from kgen.lint.config import split_selectors
    from kgen.lint.runner import Linter, exit_code

    linter = Linter(
        split_selectors(args.select),
        split_selectors(args.ignore),
        args.config,
        jobs=args.jobs,
        cache=not args.no_cache,
    )
    outcome = linter.run(
        args.paths or [Path(".")],
        fix=args.fix,
        unsafe_fixes=args.unsafe_fixes,
        diff=args.diff,
    )
    for error in outcome.errors:
        print(f"kgen: error: {error}", file=sys.stderr)
    if not outcome.files and not outcome.errors:
        where = ", ".join(map(str, args.paths or [Path(".")]))
        print(f"kgen: warning: no Python files found in {where}", file=sys.stderr)
    if args.diff:
        sys.stdout.write("".join(outcome.diffs))
        print(f"Would fix {formats.count(outcome.fixed, 'finding')}.", file=sys.stderr)
    elif args.output_format == "text":
        print(formats.text(outcome, args.unsafe_fixes))
    else:
        render = {
            "json": formats.as_json,
            "sarif": formats.sarif,
            "github": formats.github,
        }
        output = render[args.output_format](outcome)
        if output:
            print(output)
    return exit_code(outcome, args.diff)
