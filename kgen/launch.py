"""The `kgen` executable. `kgen lint` goes straight to the linter's own parser: importing
typer (and the pydantic it coerces options with) costs more than linting a file, and the
linter runs on every commit as a pre-commit hook. `--version` imports nothing but kgen's own
`__init__`. Everything else goes to the typer app."""

from __future__ import annotations

import os
import sys

# Objects made before the collector runs its youngest generation (CPython's default: 700).
# Importing libcst builds thousands of classes, and at 700 a lint run spends ~12 ms of its
# ~250 walking them again and again; a short-lived run makes few cycles (mypy does the same).
LINT_GC_THRESHOLD = 100_000


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]):
        from kgen import __version__

        print(f"kgen {__version__}")
        return
    if sys.argv[1:2] == ["lint"]:
        import gc

        gc.set_threshold(LINT_GC_THRESHOLD)
        from kgen.lint.cli import main as lint

        _leave(lint(sys.argv[2:]))
    if sys.argv[1:] in (["server"], ["server", "--stdio"]):  # LSP clients may add --stdio
        from kgen.lint.server import main as server

        raise SystemExit(server())
    from kgen.cli import app

    app(prog_name="kgen")


def _leave(code: int) -> None:
    """Exit once the output is flushed, without tearing the interpreter down: freeing libcst's
    modules and trees object by object costs ~10 ms that nobody waits for (mypy's hard_exit).
    A flush that fails (a closed pipe) takes the ordinary exit, which reports it as before."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # ValueError: cli closed stderr after a broken pipe
        raise SystemExit(code) from None
    os._exit(code)
