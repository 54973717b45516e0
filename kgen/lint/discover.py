"""Which files `kgen lint PATH...` reads: .py, .pyi and .ipynb files, recursively, skipping
hidden directories, virtualenvs, caches and the configured `exclude` patterns."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

from kgen.lint.source import special_file

SUFFIXES = (".py", ".pyi", ".ipynb")
_SKIPPED_DIRS = {
    "__pycache__",
    "node_modules",
    "site-packages",
    "venv",
    "build",
    "dist",
}


def describe(exc: OSError) -> str:
    """`[Errno 13] Permission denied: 'x'` -> `permission denied`: the tail of a one-line error."""
    reason = exc.strerror or str(exc)
    return reason[:1].lower() + reason[1:]


def _skipped_dir(directory: Path) -> bool:
    name = directory.name
    return (
        name.startswith(".")
        or name in _SKIPPED_DIRS
        or os.path.exists(directory / "pyvenv.cfg")  # a virtualenv under any name
    )


def discover(
    paths: list[Path], excluded: Callable[[Path], bool], errors: list[str]
) -> Iterator[Path]:
    """Files to lint, in a stable order; a path given explicitly is always linted. A directory
    that cannot be read adds a one-line error to `errors`, and the walk goes on."""
    for path in paths:
        if path.is_dir():
            yield from _walk(path, excluded, errors)
        else:
            yield path


def _walk(root: Path, excluded: Callable[[Path], bool], errors: list[str]) -> Iterator[Path]:
    def unreadable(exc: OSError) -> None:
        errors.append(f"{Path(exc.filename)}: {describe(exc)}")

    # Symbolic links to directories are not followed: a link loop cannot trap the walk.
    for directory, dirnames, filenames in os.walk(root, onerror=unreadable):
        base = Path(directory)
        dirnames[:] = sorted(
            d for d in dirnames if not _skipped_dir(base / d) and not excluded(base / d)
        )
        for name in sorted(filenames):
            path = base / name
            # A FIFO named train.py would block the reader: walks take regular files only.
            if path.suffix in SUFFIXES and not excluded(path) and not special_file(path):
                yield path
