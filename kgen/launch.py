"""The `kgen` executable. `kgen lint` goes straight to the linter's own parser: importing
typer (and the pydantic it coerces options with) costs more than linting a file, and the
linter runs on every commit as a pre-commit hook. Everything else goes to the typer app."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:2] == ["lint"]:
        from kgen.lint.cli import main as lint

        raise SystemExit(lint(sys.argv[2:]))
    from kgen.cli import app

    app(prog_name="kgen")
