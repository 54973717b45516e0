"""The lint cache: a file's findings stored under a key made of its bytes, its kind (script or
notebook), the rules selected for it and the linter's own code, so an unchanged repository
re-lints without parsing anything. Like ruff's `.ruff_cache`, it lives in `.kgen_cache/` at
the project root (the directory of the configuring pyproject.toml, else the working directory),
or in `$KGEN_CACHE_DIR`.

One small file per entry, written to a temporary name and renamed: parallel workers and
concurrent runs never see half an entry, and an entry that cannot be read is a miss."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

try:  # hashlib would also load OpenSSL: ~3 ms of start-up a pre-commit hook pays every commit
    from _blake2 import blake2b
except ImportError:  # not CPython
    from hashlib import blake2b

DIRECTORY = ".kgen_cache"
_LAYOUT = "lint-v1"  # bump when the entry format changes


def directory_for(root: Path | None) -> Path:
    override = os.environ.get("KGEN_CACHE_DIR")
    if override:
        return Path(override)
    return (root or Path.cwd()) / DIRECTORY


@functools.cache
def _code_fingerprint() -> bytes:
    """The kgen version and every linter and rule module's size and mtime: an edited rule in a
    development checkout invalidates the cache just as a new release does."""
    import kgen.lint
    import kgen.rules

    digest = blake2b(f"{kgen.__version__}\0{_LAYOUT}".encode(), digest_size=16)
    for package in (kgen.lint, kgen.rules):
        for folder in package.__path__:
            for entry in sorted(os.scandir(folder), key=lambda e: e.name):
                if entry.name.endswith(".py"):
                    stat = entry.stat()
                    digest.update(f"{entry.name}:{stat.st_size}:{stat.st_mtime_ns}\0".encode())
    return digest.digest()


def key(data: bytes, suffix: str, codes: tuple[str, ...]) -> str:
    digest = blake2b(_code_fingerprint(), digest_size=20)
    digest.update(f"{suffix}\0{','.join(codes)}\0".encode())
    digest.update(data)
    return digest.hexdigest()


def _entry(directory: Path, entry_key: str) -> Path:
    return directory / _LAYOUT / entry_key[:2] / entry_key[2:]


def load(directory: Path, entry_key: str) -> list[dict] | None:
    """The stored findings (JSON objects without their path), or None: absent or unreadable."""
    try:
        findings = json.loads(_entry(directory, entry_key).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(findings, list) or not all(isinstance(f, dict) for f in findings):
        return None
    return findings


def store(directory: Path, entry_key: str, findings: list[dict]) -> None:
    """Store findings; a cache that cannot be written is silently not written."""
    path = _entry(directory, entry_key)
    try:
        if not directory.is_dir():
            _create(directory)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Unique per process, and a process writes one entry at a time.
        temporary = path.with_name(f".tmp-{os.getpid()}-{path.name}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(json.dumps(findings, separators=(",", ":")).encode())
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:
        pass


def _create(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    # As ruff does: the cache ignores itself in git and marks itself for backup tools.
    (directory / ".gitignore").write_text("# Automatically created by kgen.\n*\n")
    (directory / "CACHEDIR.TAG").write_text(
        "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache created by kgen.\n"
    )
