"""The `kgen lint` command line, on argparse: `kgen lint` must start as fast as a bare libcst
parse (it runs in pre-commit hooks on every commit), and typer with its pydantic coercion
costs more at import than linting a file does. `kgen.launch` routes `kgen lint` here."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import NoReturn

from kgen.errors import KgenError

FORMATS = ("text", "json", "sarif", "github")

# Objects made before the collector walks its youngest generation (CPython's default: 700).
# Importing libcst builds thousands of classes and a parse builds a node per token: at 700, a
# one-file run spends ~12 ms of its ~250 walking them again and again, and a 500 KB file
# 2.9-3.2 s of CPU instead of 2.2-2.5. A lint run makes few reference cycles (mypy does the same).
GC_THRESHOLD = 100_000


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
        help="files or directories (recursive), or - for standard input; "
        "default: the current directory",
    )
    parser.add_argument(
        "--stdin-filename",
        type=Path,
        metavar="PATH",
        help="the name of the file read from standard input (for messages, configuration and "
        "per-file ignores)",
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
        "--exit-zero",
        action="store_true",
        help="exit 0 even when findings remain (2 still means an error)",
    )
    parser.add_argument(
        "--output-file",
        "-o",
        type=Path,
        metavar="FILE",
        help="write the report to FILE instead of standard output",
    )
    parser.add_argument(
        "--statistics", action="store_true", help="count the findings per rule instead"
    )
    parser.add_argument(
        "--show-fixes",
        action="store_true",
        help="show what each fix does; after --fix, list the findings fixed",
    )
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="print the findings and nothing else"
    )
    parser.add_argument(
        "--no-color",
        action="store_true",
        help="never colour the output (default: colour on a terminal unless NO_COLOR is set)",
    )
    parser.add_argument(
        "--force-exclude",
        action="store_true",
        help="apply the configured `exclude` to paths named on the command line too",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="PYPROJECT",
        help="use this pyproject.toml instead of the nearest one",
    )
    return parser


def run(argv: list[str]) -> NoReturn:
    """`kgen lint` as a process (`kgen.launch`): main(), then exit with its code once the output
    is flushed, without tearing the interpreter down: freeing libcst's modules and trees object
    by object costs ~20 ms that nobody waits for (mypy's hard_exit). A flush that fails (a closed
    pipe) takes the ordinary exit, which reports it as it always has."""
    import gc

    gc.set_threshold(GC_THRESHOLD)
    code = main(argv)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # ValueError: main() closed stderr after a broken pipe
        raise SystemExit(code) from None
    os._exit(code)


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
    from kgen.lint.config import split_selectors
    from kgen.lint.runner import Linter, exit_code

    stdin = args.paths == [Path("-")]
    if Path("-") in args.paths and not stdin:
        raise KgenError("`-` (standard input) cannot be combined with other paths")
    if args.stdin_filename is not None and not stdin:
        raise KgenError("--stdin-filename names standard input: give `-` as the path")
    linter = Linter(
        split_selectors(args.select),
        split_selectors(args.ignore),
        args.config,
        jobs=args.jobs,
        cache=not args.no_cache,
    )
    if stdin:
        outcome = _lint_stdin(args, linter)
    else:
        before = None
        if args.fix and args.show_fixes:  # what --fix will have fixed: the findings it removes
            before = linter.run(args.paths or [Path(".")], force_exclude=args.force_exclude)
        outcome = linter.run(
            args.paths or [Path(".")],
            fix=args.fix,
            unsafe_fixes=args.unsafe_fixes,
            diff=args.diff,
            force_exclude=args.force_exclude,
        )
        _report(args, outcome, linter, before=before)
    for error in outcome.errors:
        print(f"kgen: error: {error}", file=sys.stderr)
    # A walked directory with nothing to lint is worth a word; files that --force-exclude
    # skipped are not.
    walked = [path for path in args.paths or [Path(".")] if os.path.isdir(path)]
    if walked and not stdin and not outcome.files and not outcome.errors:
        where = ", ".join(map(str, walked))
        print(f"kgen: warning: no Python files found in {where}", file=sys.stderr)
    if args.exit_zero and not outcome.errors:
        return 0
    return exit_code(outcome, args.diff)


def _lint_stdin(args, linter):
    """`kgen lint -`: the source from standard input; with --fix, the fixed source goes to
    standard output and the report to standard error (as ruff does)."""
    from kgen.lint.runner import Outcome
    from kgen.lint.source import Undecodable, decode

    path = args.stdin_filename or Path("-")
    data = sys.stdin.buffer.read()
    if args.force_exclude and args.stdin_filename is not None and linter.excluded(path):
        if args.fix:
            sys.stdout.buffer.write(data)  # an editor replaces its buffer with this: keep it
        return Outcome()
    try:
        source = decode(data)
    except Undecodable as exc:
        raise KgenError(f"{path}: {exc.message} (line {exc.line})") from None
    checked = linter.lint_text(
        path, source.text, fix=args.fix, unsafe_fixes=args.unsafe_fixes, diff=args.diff
    )
    outcome = checked.outcome
    if args.diff:
        _report(args, outcome, linter)
    elif args.fix:
        sys.stdout.buffer.write(source.encode(checked.text))
        sys.stdout.flush()
        _report(args, outcome, linter, stream=sys.stderr)
    else:
        _report(args, outcome, linter, texts={str(path): source.text})
    return outcome


def _report(args, outcome, linter, stream=None, before=None, texts=None) -> None:
    """Print (or write to --output-file) the report in the chosen format."""
    from kgen.lint import formats

    if args.diff:
        sys.stdout.write("".join(outcome.diffs))
        print(f"Would fix {formats.count(outcome.fixed, 'finding')}.", file=sys.stderr)
        return
    stream = stream or sys.stdout
    color = (
        args.output_file is None
        and not args.no_color
        and not os.environ.get("NO_COLOR")
        and stream.isatty()
    )
    if args.statistics:
        output = formats.statistics(outcome, args.unsafe_fixes, args.output_format == "json")
    elif args.output_format == "text":
        output = formats.text(outcome, args.unsafe_fixes, color, args.quiet, args.show_fixes)
        if before is not None and not args.quiet:
            output += "\n" + formats.fixed_list(_fixed(before, outcome))
    elif args.output_format == "sarif":
        output = formats.sarif(outcome, _edits(outcome, linter, texts or {}))
    else:
        output = {"json": formats.as_json, "github": formats.github}[args.output_format](outcome)
    if args.output_file is not None:
        _write_report(args.output_file, output + "\n" if output else "")
    elif output:
        print(output, file=stream)


def _fixed(before, after):
    """(path, code) -> how many findings --fix removed."""
    from collections import Counter

    return Counter((f.path, f.code) for f in before.findings) - Counter(
        (f.path, f.code) for f in after.findings
    )


def _edits(outcome, linter, texts: dict[str, str | None]) -> dict:
    """The edit of each fixable script finding, for SARIF `fixes` (`texts`: sources already
    read, by path)."""
    from kgen.lint.source import Undecodable, decode

    edits = {}
    for finding in outcome.findings:
        if finding.fix is None or finding.cell is not None:
            continue
        if finding.path not in texts:
            try:
                texts[finding.path] = decode(Path(finding.path).read_bytes()).text
            except (OSError, Undecodable):
                texts[finding.path] = None
        text = texts[finding.path]
        edit = text and linter.fix_one(Path(finding.path), text, finding)
        if edit:
            edits[finding] = edit
    return edits


def _write_report(path: Path, text: str) -> None:
    """Write the report whole or not at all: a temporary file beside it, renamed over it."""
    import tempfile

    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise KgenError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        umask = os.umask(0o022)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # as an ordinary new file, not mkstemp's 0600
        os.replace(temporary, path)
    except OSError as exc:
        os.unlink(temporary)
        raise KgenError(f"cannot write {path}: {exc.strerror}") from None
