"""`kgen lint`: files in, findings (and fixed files or diffs) out, an exit code back."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from kgen.errors import KgenError
from kgen.lint.config import Settings, find_pyproject, load_settings
from kgen.lint.discover import discover
from kgen.lint.engine import analyze


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    code: str
    name: str
    severity: str
    message: str
    hint: str | None
    fix: str | None  # what the fix does, when one is offered
    fix_applicability: str | None  # "safe" | "unsafe"
    cell: int | None  # 1-based code cell, for notebooks

    def as_json(self) -> dict:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
            "fix": self.fix,
            "fix_applicability": self.fix_applicability,
            "cell": self.cell,
        }


@dataclass
class Outcome:
    findings: list[Finding] = field(default_factory=list)
    diffs: list[str] = field(default_factory=list)
    fixed: int = 0  # findings fixed (or, with --diff, that would be)
    errors: list[str] = field(default_factory=list)  # one line per file that failed
    rules: list = field(default_factory=list)  # every rule selected for some file

    def merge(self, other: Outcome) -> None:
        self.findings += other.findings
        self.diffs += other.diffs
        self.fixed += other.fixed
        self.errors += other.errors


class Linter:
    def __init__(self, select=None, ignore=None, config: Path | None = None) -> None:
        self.select, self.ignore = select, ignore
        self.forced = load_settings(config, select, ignore) if config is not None else None
        self._pyprojects: dict[Path, Path | None] = {}
        self._settings: dict[Path | None, Settings] = {}

    def settings_for(self, path: Path) -> Settings:
        if self.forced is not None:
            return self.forced
        pyproject = find_pyproject(path, self._pyprojects)
        if pyproject not in self._settings:
            self._settings[pyproject] = load_settings(pyproject, self.select, self.ignore)
        return self._settings[pyproject]

    def run(self, paths: list[Path], fix=False, unsafe_fixes=False, diff=False) -> Outcome:
        for path in paths:
            if not (path.is_file() or path.is_dir()):
                raise KgenError(f"{path}: no such file or directory")
        outcome = Outcome()
        selected: dict[str, type] = {}
        for path in discover(paths, lambda p: self.settings_for(p).excludes(p)):
            rules = self.settings_for(path).rules_for(path)
            selected.update((rule.CODE, rule) for rule in rules)
            outcome.merge(_lint_path(path, rules, fix, unsafe_fixes, diff))
        outcome.rules = [selected[code] for code in sorted(selected)]
        return outcome


def _lint_path(path: Path, rules, fix, unsafe_fixes, diff) -> Outcome:
    """One file's findings; a file that cannot be linted becomes a one-line error."""
    outcome = Outcome()
    try:
        _lint_file(path, rules, outcome, fix, unsafe_fixes, diff)
    except KgenError as exc:
        outcome.errors.append(str(exc))
    except OSError as exc:
        outcome.errors.append(f"{path}: {exc.strerror or exc}")
    except Exception as exc:  # noqa: BLE001 (a linter bug must not stop the run)
        outcome.errors.append(f"{path}: internal error: {type(exc).__name__}: {exc}")
    return outcome


def _lint_file(path: Path, rules, outcome: Outcome, fix, unsafe_fixes, diff) -> None:
    # Bytes decoded by hand: read_text() would turn CRLF into LF, and --fix would then
    # rewrite every line ending of the file.
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise KgenError(f"{path}: not UTF-8 text") from None
    notebook = None
    source = text
    if path.suffix == ".ipynb":
        from kgen.lint.notebook import read_notebook

        notebook = read_notebook(text, str(path))
        source = notebook.source

    if fix or diff:
        from kgen.lint.fix import apply_fixes

        fixed, count = apply_fixes(source, rules, unsafe_fixes)
        if fixed != source:
            new_text = notebook.with_source(fixed) if notebook else fixed
            if new_text is not None:
                outcome.fixed += count
                if diff:
                    outcome.diffs.append(_unified_diff(str(path), text, new_text))
                    return
                path.write_bytes(new_text.encode("utf-8"))
                source = fixed
        if diff:
            return

    _, located = analyze(source, rules)
    for item in located:
        cell, line, end_line = None, item.line, item.end_line
        if notebook is not None:
            cell, line = notebook.locate(item.line)
            end_line = line + (item.end_line - item.line)
        rule = item.rule
        outcome.findings.append(
            Finding(
                str(path), line, item.column, end_line, item.end_column, rule.CODE,
                rule.NAME, rule.SEVERITY, item.message, item.hint,
                item.fix.description if item.fix else None,
                ("safe" if item.fix.safe else "unsafe") if item.fix else None,
                cell,
            )
        )  # fmt: skip


def _unified_diff(path: str, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            path,
            path,
        )
    )


def exit_code(outcome: Outcome, diff: bool) -> int:
    if outcome.errors:
        return 2
    if diff:
        return 1 if outcome.diffs else 0
    return 1 if any(f.severity in ("error", "warning") for f in outcome.findings) else 0
