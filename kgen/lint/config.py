"""`[tool.kgen.lint]` in pyproject.toml, found by walking up from each linted file, and rule
selection by code or prefix (`KG001`, `KG00`, `KG`, `ALL`)."""

from __future__ import annotations

import os
import pkgutil
from dataclasses import dataclass, field
from fnmatch import fnmatch
from functools import cache
from pathlib import Path

from kgen.errors import KgenError


@cache
def rule_codes() -> tuple[str, ...]:
    """Every rule's code, read from its module's name (`kg001_activation_loss_mismatch.py` is
    KG001) without importing it: a run whose files all hit the cache never loads libcst."""
    import kgen.rules

    return tuple(
        sorted(
            info.name.partition("_")[0].upper()
            for info in pkgutil.iter_modules(kgen.rules.__path__)
        )
    )


_KEYS = ("select", "extend-select", "ignore", "exclude", "per-file-ignores", "max-file-size")

# Bytes past which a file is not analysed (an info finding says so): a generated 5 MB module
# once took 5.5 minutes and 4.9 GB. Dense Keras code costs ~30 s and ~0.7 GB per MB
# (benchmarks/bench_file_size.py); hand-written scripts stay far below 1 MB.
MAX_FILE_SIZE = 1_000_000


@dataclass(frozen=True)
class Settings:
    root: Path | None = None  # the directory of the pyproject.toml; patterns are relative to it
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    max_file_size: int = MAX_FILE_SIZE  # 0: no limit

    def codes_for(self, path: Path) -> tuple[str, ...]:
        """The codes of the rules that lint this file."""
        ignored = list(self.ignore)
        if self.per_file_ignores:
            relative = _relative(path, self.root)
            for pattern, codes in self.per_file_ignores.items():
                if fnmatch(relative, pattern) or fnmatch(path.name, pattern):
                    ignored.extend(codes)
        return _selected(tuple(self.select), tuple(ignored))

    def excludes(self, path: Path) -> bool:
        relative = _relative(path, self.root)
        return any(fnmatch(relative, p) or fnmatch(path.name, p) for p in self.exclude)


def _relative(path: Path, root: Path | None) -> str:
    try:
        return path.resolve().relative_to(root).as_posix() if root else path.as_posix()
    except ValueError:
        return path.as_posix()


@cache
def _selected(select: tuple[str, ...], ignore: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(
        code for code in rule_codes() if _matches(code, select) and not _matches(code, ignore)
    )


def _matches(code: str, selectors) -> bool:
    return any(s == "ALL" or code.startswith(s) for s in selectors)


def check_selectors(selectors, origin: str) -> tuple[str, ...]:
    """Upper-cased selectors; a KgenError names the first that matches no rule."""
    codes = rule_codes()
    checked = []
    for selector in selectors:
        selector = selector.strip().upper()
        if selector != "ALL" and not any(code.startswith(selector) for code in codes):
            raise KgenError(f"unknown rule selector {selector!r} in {origin} (see `kgen rules`)")
        checked.append(selector)
    return tuple(checked)


def split_selectors(values: list[str] | None) -> tuple[str, ...] | None:
    """`--select KG001,KG002 --select KG003` -> ("KG001", "KG002", "KG003")."""
    if values is None:
        return None
    return tuple(part for value in values for part in value.split(",") if part.strip())


def find_pyproject(start: Path, cache: dict[Path, Path | None]) -> Path | None:
    """The nearest pyproject.toml with a [tool.kgen.lint] table, walking up from `start`."""
    folder = start if start.is_dir() else start.parent
    if folder in cache:  # asked for every file: answer a known folder before resolving it
        return cache[folder]
    directory = folder.resolve()
    visited = [folder]
    found = None
    for candidate in (directory, *directory.parents):
        if candidate in cache:
            found = cache[candidate]
            break
        visited.append(candidate)
        pyproject = candidate / "pyproject.toml"
        if _declares_settings(pyproject):
            found = pyproject
            break
    for candidate in visited:
        cache[candidate] = found
    return found


def _declares_settings(pyproject: Path) -> bool:
    """Whether a pyproject.toml has a [tool.kgen.lint] table; one that exists but cannot be
    read counts (loading it then says why), one in a folder that cannot be searched does not
    (the walk reports that folder)."""
    try:
        with open(pyproject, "rb") as handle:
            return b"[tool.kgen.lint" in handle.read()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return False
    except PermissionError:
        return os.access(pyproject.parent, os.X_OK, effective_ids=True) and pyproject.exists()
    except OSError:
        return True


def load_settings(pyproject: Path | None, select=None, ignore=None) -> Settings:
    """Settings from a pyproject.toml (None: defaults), with the command line's
    --select replacing the file's `select` and --ignore adding to its `ignore`."""
    table: dict = {}
    if pyproject is not None:
        import tomllib

        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except OSError as exc:
            reason = (exc.strerror or str(exc)).lower()
            raise KgenError(f"cannot read {pyproject}: {reason}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise KgenError(f"cannot read {pyproject}: {exc}") from None
        table = data.get("tool", {}).get("kgen", {}).get("lint", {})
        unknown = sorted(set(table) - set(_KEYS))
        if unknown:
            raise KgenError(f"unknown key {unknown[0]!r} in [tool.kgen.lint] of {pyproject}")
    origin = f"[tool.kgen.lint] of {pyproject}"

    def strings(key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise KgenError(f"{key} in {origin} must be a list of strings")
        return tuple(value)

    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, dict):
        raise KgenError(f"per-file-ignores in {origin} must be a table")
    per_file_ignores = {}
    for pattern, codes in per_file.items():
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise KgenError(f"per-file-ignores.{pattern!r} in {origin} must be a list of codes")
        per_file_ignores[pattern] = check_selectors(codes, origin)

    chosen = (
        select if select is not None else (strings("select") if "select" in table else ("ALL",))
    )
    chosen = check_selectors(chosen, "--select" if select is not None else origin)
    chosen += check_selectors(strings("extend-select"), origin)
    if not chosen:  # `select = []` would silently turn every rule off
        where = "--select" if select is not None else f"select in {origin}"
        raise KgenError(f"{where} is empty: no rule would run (leave it out to run them all)")
    max_file_size = table.get("max-file-size", MAX_FILE_SIZE)
    if not isinstance(max_file_size, int) or isinstance(max_file_size, bool) or max_file_size < 0:
        raise KgenError(f"max-file-size in {origin} must be a number of bytes (0: no limit)")
    ignored = check_selectors(strings("ignore"), origin) + check_selectors(ignore or (), "--ignore")
    return Settings(
        root=pyproject.parent.resolve() if pyproject else None,
        select=chosen,
        ignore=ignored,
        exclude=strings("exclude"),
        per_file_ignores=per_file_ignores,
        max_file_size=max_file_size,
    )
