"""The `kgen` executable. `kgen lint` goes straight to the linter's own parser: importing
typer (and the pydantic it coerces options with) costs more than linting a file, and the
linter runs on every commit as a pre-commit hook. `--version` imports nothing but kgen's own
`__init__`. Everything else goes to the typer app."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]):
        from kgen import __version__

        print(f"kgen {__version__}")
        return
    if sys.argv[1:2] == ["lint"]:
        from kgen.lint.cli import run as lint

        lint(sys.argv[2:])
    if sys.argv[1:] in (["server"], ["server", "--stdio"]):  # LSP clients may add --stdio
        from kgen.lint.server import main as server

        raise SystemExit(server())
    from kgen.cli import app

    app(prog_name="kgen")
