"""`kgen lint`: files in, findings (and fixed files or diffs) out, an exit code back."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from kgen.errors import KgenError
from kgen.lint import cache
from kgen.lint.config import (
    MAX_FILE_SIZE,
    Settings,
    check_selectors,
    find_pyproject,
    load_settings,
)
from kgen.lint.discover import describe, discover
from kgen.lint.source import Undecodable, read_bytes, read_script


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
    codes: list = field(default_factory=list)  # every rule selected for some file
    files: int = 0  # files found to lint

    def merge(self, other: Outcome) -> None:
        self.findings += other.findings
        self.diffs += other.diffs
        self.fixed += other.fixed
        self.errors += other.errors


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# A worker process costs ~20 ms to start; linting a file, ~5-20 ms. Fewer files than this per
# worker, and the run stays in this process (a pre-commit hook on one file never forks).
MIN_FILES_PER_WORKER = 4


@dataclass(frozen=True)
class Mode:
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False


@dataclass(frozen=True)
class Task:
    path: Path
    codes: tuple[str, ...]  # the rules selected for this file
    cache_dir: Path | None  # None: no cache
    max_file_size: int = MAX_FILE_SIZE  # bytes; 0: no limit

    def too_big(self, data: bytes) -> bool:
        return 0 < self.max_file_size < len(data)


class Linter:
    def __init__(
        self, select=None, ignore=None, config: Path | None = None, jobs=None, cache=True
    ) -> None:
        if select == ():  # `--select ""`: every rule off, and "All checks passed!"
            raise KgenError("--select is empty: no rule would run (leave it out to run them all)")
        # The command line's selectors are checked once, up front: a usage error, no output.
        check_selectors(select or (), "--select")
        check_selectors(ignore or (), "--ignore")
        self.select, self.ignore = select, ignore
        self.forced = load_settings(config, select, ignore) if config is not None else None
        self.jobs = jobs or default_jobs()
        self.use_cache = cache
        self._pyprojects: dict[Path, Path | None] = {}
        self._settings: dict[Path | None, Settings | KgenError] = {}

    def settings_for(self, path: Path) -> Settings:
        """The settings for a file; a KgenError when its pyproject.toml cannot be used (asked
        again for each file under it, answered from memory)."""
        if self.forced is not None:
            return self.forced
        pyproject = find_pyproject(path, self._pyprojects)
        if pyproject not in self._settings:
            try:
                self._settings[pyproject] = load_settings(pyproject, self.select, self.ignore)
            except KgenError as exc:
                self._settings[pyproject] = exc
        settings = self._settings[pyproject]
        if isinstance(settings, KgenError):
            raise KgenError(str(settings))
        return settings

    def excluded(self, path: Path) -> bool:
        """Whether the configuration of the file's project excludes it. An unreadable or invalid
        configuration excludes nothing: the files under it report the error."""
        try:
            return self.settings_for(path).excludes(path)
        except KgenError:
            return False

    def run(
        self, paths: list[Path], fix=False, unsafe_fixes=False, diff=False, force_exclude=False
    ) -> Outcome:
        outcome = Outcome()
        reachable = []
        for path in paths:
            try:
                os.stat(path)
            except (FileNotFoundError, NotADirectoryError) as exc:  # a typo: a usage error
                raise KgenError(f"{path}: {describe(exc)}") from None
            except OSError as exc:  # in a folder the user cannot search: that path only
                outcome.errors.append(f"{path}: {describe(exc)}")
            else:
                reachable.append(path)
        if force_exclude:  # `exclude` applies to paths named on the command line too
            reachable = [path for path in reachable if not self.excluded(path)]
        mode = Mode(fix, unsafe_fixes, diff)
        # Fixing writes files: a run that may write reads nothing from the cache.
        use_cache = self.use_cache and not (fix or diff)
        selected: set[str] = set()
        tasks = []
        for path in discover(reachable, self.excluded, outcome.errors):
            outcome.files += 1
            try:
                settings = self.settings_for(path)
            except KgenError as exc:  # an unreadable or invalid pyproject.toml: its files only
                if str(exc) not in outcome.errors:
                    outcome.errors.append(str(exc))
                continue
            codes = settings.codes_for(path)
            selected.update(codes)
            cache_dir = cache.directory_for(settings.root) if use_cache else None
            tasks.append(Task(path, codes, cache_dir, settings.max_file_size))
        for result in _lint_all(tasks, mode, self.jobs):
            outcome.merge(result)
        outcome.codes = sorted(selected)
        return outcome

    def lint_text(
        self, path: Path, text: str, fix=False, unsafe_fixes=False, diff=False
    ) -> Checked:
        """Lint source held in memory (standard input, an editor's buffer) as the file `path`
        would be: its project's configuration, rules and notebook handling; nothing is written.
        With `fix` (or `diff`), the fixed text is returned (or its diff kept in the outcome)."""
        from kgen.lint.engine import analyze
        from kgen.lint.rule import rule_by_code

        rules = [r for code in self.settings_for(path).codes_for(path) if (r := rule_by_code(code))]
        notebook = None
        source = text
        if path.suffix == ".ipynb":
            from kgen.lint.notebook import read_notebook

            notebook = read_notebook(text, str(path))
            source = notebook.source
        checked = Checked(text=text)
        if fix or diff:
            from kgen.lint.fix import apply_fixes

            fixed, count = apply_fixes(source, rules, unsafe_fixes)
            new_text = notebook.with_source(fixed) if notebook and fixed != source else fixed
            if fixed != source and new_text is not None:
                checked.text, checked.outcome.fixed, source = new_text, count, fixed
                if diff:
                    checked.outcome.diffs.append(_unified_diff(str(path), text, new_text))
        _add_findings(path, analyze(source, rules)[1], notebook, checked.outcome)
        return checked

    def fix_one(self, path: Path, text: str, finding: Finding) -> Edit | None:
        """The smallest edit that applies this one finding's fix, if it has one: an edit of
        `text`, or for a notebook, of the text of the finding's cell."""
        if finding.fix is None:
            return None
        from kgen.lint.fix import apply_one
        from kgen.lint.rule import rule_by_code

        rules = [r for code in self.settings_for(path).codes_for(path) if (r := rule_by_code(code))]
        if path.suffix != ".ipynb":
            fixed = apply_one(text, rules, finding.code, finding.line, finding.column)
            return Edit.between(text, fixed) if fixed != text else None
        from kgen.lint.notebook import read_notebook

        notebook = read_notebook(text, str(path))
        cell = notebook.cells[finding.cell - 1]
        line = cell.first_line + finding.line - 1  # the line in the joined cells
        fixed = apply_one(notebook.source, rules, finding.code, line, finding.column)
        before = "\n".join(cell.lines) + ("\n" if cell.trailing_newline else "")
        if fixed == notebook.source or notebook.with_source(fixed) is None:
            return None
        after = "".join(notebook.data["cells"][cell.index]["source"])
        return Edit.between(before, after) if after != before else None


@dataclass
class Checked:
    """Source linted in memory: its findings, and its text (fixed, when fixes were asked for)."""

    text: str
    outcome: Outcome = field(default_factory=Outcome)


@dataclass(frozen=True)
class Edit:
    """Replace the text from (line, column) to (end_line, end_column) (1-based, end exclusive,
    columns in characters) by `new_text`."""

    line: int
    column: int
    end_line: int
    end_column: int
    new_text: str

    @classmethod
    def between(cls, before: str, after: str) -> Edit:
        """The one replacement that turns `before` into `after`: what lies between their
        common prefix and common suffix."""
        start = 0
        limit = min(len(before), len(after))
        while start < limit and before[start] == after[start]:
            start += 1
        end = 0
        while end < limit - start and before[-1 - end] == after[-1 - end]:
            end += 1
        line, column = _position(before, start)
        end_line, end_column = _position(before, len(before) - end)
        return cls(line, column, end_line, end_column, after[start : len(after) - end])


def _position(text: str, offset: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def _lint_all(tasks: list[Task], mode: Mode, jobs: int) -> list[Outcome]:
    """Each task's outcome, in the tasks' order whatever the number of workers."""
    results: list[Outcome | None] = [None] * len(tasks)
    pending: list[int] = []
    contents: dict[int, bytes] = {}
    for index, task in enumerate(tasks):
        if task.cache_dir is None:
            pending.append(index)
            continue
        try:
            data = read_bytes(task.path)
        except OSError:
            pending.append(index)  # lint_task reports it
            continue
        # Only full analyses are cached: an entry stays right whatever max-file-size says.
        hit = None if task.too_big(data) else _from_cache(task, data)
        if hit is None:
            pending.append(index)
            contents[index] = data
        else:
            results[index] = hit
    workers = min(jobs, len(pending) // MIN_FILES_PER_WORKER)
    if workers > 1:
        for index, result in zip(pending, _parallel([tasks[i] for i in pending], mode, workers)):
            results[index] = result
    else:
        for index in pending:
            results[index] = lint_task(tasks[index], mode, contents.pop(index, None))
    return results  # type: ignore[return-value]


def _parallel(tasks: list[Task], mode: Mode, workers: int) -> list[Outcome]:
    # Imported here: a run that stays in one process never pays for multiprocessing.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # Forked workers start at once with the rules already imported; spawn where there is no fork.
    from kgen.lint.engine import analyze  # noqa: F401
    from kgen.lint.rule import all_rules

    all_rules()
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    # Small chunks: one huge file late in a big chunk would leave the other workers idle.
    chunksize = max(1, min(8, len(tasks) // (workers * 16)))
    try:
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            return list(pool.map(lint_task, tasks, [mode] * len(tasks), chunksize=chunksize))
    except BrokenProcessPool:
        raise KgenError("a lint worker process died; run with --jobs 1 to find the file") from None


def _from_cache(task: Task, data: bytes) -> Outcome | None:
    stored = cache.load(task.cache_dir, cache.key(data, task.path.suffix, task.codes))
    if stored is None:
        return None
    fields = set(Finding.__dataclass_fields__) - {"path"}
    if any(set(item) != fields or item["code"] not in task.codes for item in stored):
        return None  # an entry of another shape: a miss, never a crash
    findings = [Finding(path=str(task.path), **item) for item in stored]
    return Outcome(findings=findings)


def lint_task(task: Task, mode: Mode, data: bytes | None = None) -> Outcome:
    """One file's findings; a file that cannot be linted becomes a one-line error."""
    path = task.path
    outcome = Outcome()
    try:
        if data is None:
            data = read_bytes(path)
        # Imported on a cache miss only: libcst and the rules cost more than a warm run.
        from kgen.lint.rule import rule_by_code

        rules = [rule for code in task.codes if (rule := rule_by_code(code)) is not None]
        if task.too_big(data):
            from kgen.lint.engine import unparsable

            message = (
                f"not analysed: {len(data):,} bytes, over the {task.max_file_size:,}-byte limit "
                "(max-file-size in [tool.kgen.lint])"
            )
            _add_findings(path, unparsable(rules, message, 1, 1, invalid=False), None, outcome)
        else:
            _lint_file(path, data, rules, outcome, mode)
    except KgenError as exc:
        outcome.errors.append(str(exc))
        return outcome
    except OSError as exc:
        outcome.errors.append(f"{path}: {describe(exc)}")
        return outcome
    except Exception as exc:  # noqa: BLE001 (a linter bug must not stop the run)
        outcome.errors.append(f"{path}: internal error: {type(exc).__name__}: {exc}")
        return outcome
    if task.cache_dir is not None and not task.too_big(data):
        entry = [{k: v for k, v in f.as_json().items() if k != "path"} for f in outcome.findings]
        cache.store(task.cache_dir, cache.key(data, path.suffix, task.codes), entry)
    return outcome


def _lint_file(path: Path, data: bytes, rules, outcome: Outcome, mode: Mode) -> None:
    from kgen.lint.engine import analyze, unparsable

    try:
        # Decoded by hand: read_text() would turn CRLF into LF and drop a BOM, and --fix
        # would then rewrite every line of the file.
        decoded, notebook, source = read_script(path, data)
    except Undecodable as exc:
        _add_findings(path, unparsable(rules, f"syntax error: {exc.message}", exc.line, exc.column),
                      None, outcome)  # fmt: skip
        return

    if mode.fix or mode.diff:
        from kgen.lint.fix import apply_fixes, write_atomic

        fixed, count = apply_fixes(source, rules, mode.unsafe_fixes)
        if fixed != source:
            new_text = notebook.with_source(fixed) if notebook else fixed
            if new_text is not None and mode.diff:
                outcome.fixed += count
                outcome.diffs.append(_unified_diff(str(path), decoded.text, new_text))
                return
            if new_text is not None:
                try:
                    write_atomic(path, decoded.encode(new_text))
                except OSError as exc:  # nothing written: its findings are all still there
                    outcome.errors.append(f"{path}: not fixed: {describe(exc)}")
                else:
                    outcome.fixed += count
                    source = fixed
        if mode.diff:
            return

    _add_findings(path, analyze(source, rules)[1], notebook, outcome)


def _add_findings(path: Path, located, notebook, outcome: Outcome) -> None:
    for item in located:
        cell, line, end_line = None, item.line, item.end_line
        if notebook is not None:
            cell, line = notebook.locate(item.line)
            end_line = line + (item.end_line - item.line)
        rule = item.rule
        outcome.findings.append(
            Finding(
                str(path), line, item.column, end_line, item.end_column, rule.CODE,
                rule.NAME, item.severity or rule.SEVERITY, item.message, item.hint,
                item.fix.description if item.fix else None,
                ("safe" if item.fix.safe else "unsafe") if item.fix else None,
                cell,
            )
        )  # fmt: skip


def _unified_diff(path: str, before: str, after: str) -> str:
    import difflib  # only --diff needs it: ~1 ms of every other run's start-up

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
