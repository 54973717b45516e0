"""Findings as text (ruff-like), JSON, SARIF 2.1.0 (GitHub code scanning) or GitHub
workflow commands."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from urllib.parse import quote

from kgen import __version__
from kgen.lint.docs import rule_url

# ANSI styles for a terminal, as ruff colours its output.
_BOLD, _RED, _CYAN, _YELLOW, _RESET = "\x1b[1m", "\x1b[31m", "\x1b[36m", "\x1b[33m", "\x1b[0m"


def count(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def location(finding) -> str:
    cell = f"cell {finding.cell}:" if finding.cell is not None else ""
    return f"{finding.path}:{cell}{finding.line}:{finding.column}"


def text(outcome, unsafe_fixes: bool, color=False, quiet=False, show_fixes=False) -> str:
    """One finding per line with its hint; then, unless `quiet`, the summary."""

    def paint(value: str, *styles: str) -> str:
        return "".join(styles) + value + _RESET if color else value

    out = []
    for f in outcome.findings:
        fixable = f.fix is not None and (f.fix_applicability == "safe" or unsafe_fixes)
        code = paint(f.code, _BOLD, _RED) + (" " + paint("[*]", _CYAN) if fixable else "")
        out.append(f"{paint(location(f), _BOLD)}: {code} {f.message}")
        if f.hint:
            out.append(f"  {paint('help', _BOLD, _CYAN)}: {f.hint}")
        if show_fixes and f.fix is not None:
            out.append(f"  {paint('fix', _BOLD, _YELLOW)}: {f.fix} ({f.fix_applicability})")
    if not quiet:
        out.append(_summary(outcome, unsafe_fixes))
    return "\n".join(out)


def fixed_list(fixed: Counter) -> str:
    """`--show-fixes` after `--fix`: what was fixed, per file and rule ((path, code) -> count)."""
    if not fixed:
        return "No fixes applied."
    lines = [f"Fixed {count(sum(fixed.values()), 'finding')}:"]
    for path in sorted({path for path, _ in fixed}):
        lines.append(f"- {path}:")
        lines += [f"    {n} × {code}" for (p, code), n in sorted(fixed.items()) if p == path]
    return "\n".join(lines)


def statistics(outcome, unsafe_fixes: bool, as_json: bool) -> str:
    """`--statistics`: findings counted per rule, most frequent first."""
    counts = Counter(f.code for f in outcome.findings)
    names = {f.code: f.name for f in outcome.findings}
    fixable = {f.code for f in outcome.findings
               if f.fix_applicability == "safe" or (f.fix and unsafe_fixes)}  # fmt: skip
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if as_json:
        return json.dumps(
            [{"code": c, "name": names[c], "count": n, "fixable": c in fixable} for c, n in rows],
            indent=2,
        )
    width = len(str(rows[0][1])) if rows else 1
    return "\n".join(
        f"{n:>{width}}\t{c}\t{'[*] ' if c in fixable else '[ ] '}{names[c]}" for c, n in rows
    )


def _summary(outcome, unsafe_fixes: bool) -> str:
    findings = outcome.findings
    lines = []
    if outcome.fixed:
        lines.append(f"Fixed {count(outcome.fixed, 'finding')}.")
    if not findings:
        # Never "passed" when a file could not even be read.
        if outcome.errors:
            lines.append(f"No findings, {count(len(outcome.errors), 'error')}.")
        elif not outcome.files:  # nothing was checked: that is not a pass either
            lines.append("No Python files to lint.")
        else:
            lines.append("All checks passed!")
        return "\n".join(lines)
    counts = [
        count(n, severity, "info" if severity == "info" else None)
        for severity in ("error", "warning", "info")
        if (n := sum(f.severity == severity for f in findings))
    ]
    lines.append(f"Found {count(len(findings), 'finding')} ({', '.join(counts)}).")
    safe = sum(f.fix_applicability == "safe" for f in findings)
    unsafe = sum(f.fix_applicability == "unsafe" for f in findings)
    fixable = safe + (unsafe if unsafe_fixes else 0)
    if fixable:
        lines.append(f"[*] {fixable} fixable with the `--fix` option.")
    if unsafe and not unsafe_fixes:
        hidden = count(unsafe, "hidden fix", "hidden fixes")
        lines.append(f"{hidden} can be enabled with the `--unsafe-fixes` option.")
    return "\n".join(lines)


def as_json(outcome) -> str:
    return json.dumps([{**f.as_json(), "url": rule_url(f.code)} for f in outcome.findings], indent=2)


_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _region(line: int, column: int, end_line: int, end_column: int) -> dict:
    return {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column}


def sarif(outcome, edits=None) -> str:
    """SARIF 2.1.0. `edits` maps a finding to the `runner.Edit` its fix makes (SARIF `fixes`).
    A notebook finding points at the whole .ipynb file (no region: a line of a cell is not a
    line of the file's JSON), with its cell, line and column in the message and properties."""
    from kgen.lint.rule import rule_by_code

    rules = [rule_by_code(code) for code in outcome.codes]
    index = {rule.CODE: i for i, rule in enumerate(rules)}
    results = []
    for f in outcome.findings:
        physical: dict = {"artifactLocation": {"uri": _uri(f.path)}}
        if f.cell is None:
            physical["region"] = _region(f.line, f.column, f.end_line, f.end_column)
            message = f.message
        else:
            message = f"cell {f.cell}, line {f.line}, column {f.column}: {f.message}"
        result = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": message},
            "locations": [{"physicalLocation": physical}],
        }
        if f.cell is not None:
            result["properties"] = {"cell": f.cell, "line": f.line, "column": f.column}
        edit = (edits or {}).get(f)
        if edit is not None:
            replacement = {
                "deletedRegion": _region(edit.line, edit.column, edit.end_line, edit.end_column),
                "insertedContent": {"text": edit.new_text},
            }
            change = {"artifactLocation": {"uri": _uri(f.path)}, "replacements": [replacement]}
            result["fixes"] = [{"description": {"text": f.fix}, "artifactChanges": [change]}]
        results.append(result)
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "kgen",
                        "version": __version__,
                        "rules": [_sarif_rule(rule) for rule in rules],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2)


def _sarif_rule(rule) -> dict:
    return {
        "id": rule.CODE,
        "name": rule.NAME,
        "shortDescription": {"text": rule.SUMMARY},
        "fullDescription": {"text": rule.SUMMARY},
        "help": {"text": rule.doc(), "markdown": rule.doc()},
        "helpUri": rule_url(rule.CODE),
        "defaultConfiguration": {"level": _SARIF_LEVEL[rule.SEVERITY]},
        "properties": {"tags": [rule.NAME]},
    }


def _uri(path: str) -> str:
    """A URI reference for a path: absolute paths as file: URIs, relative ones percent-encoded
    (a space or a `ü` is not allowed bare in a URI)."""
    p = Path(path)
    return p.as_uri() if p.is_absolute() else quote(p.as_posix())


_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def github(outcome) -> str:
    """Workflow annotations. A notebook finding annotates the .ipynb file as a whole (GitHub
    renders notebooks, so a line of a cell has no line of the file to sit on); the message
    names the cell, line and column."""
    lines = []
    for f in outcome.findings:
        where = [("line", f.line), ("col", f.column), ("endLine", f.end_line),
                 ("endColumn", f.end_column)] if f.cell is None else []  # fmt: skip
        properties = ",".join(
            f"{key}={_escape_property(str(value))}"
            for key, value in (("file", f.path), *where, ("title", f"{f.code} {f.name}"))
        )
        cell = f"cell {f.cell}, line {f.line}, column {f.column}: " if f.cell is not None else ""
        lines.append(
            f"::{_GITHUB_LEVEL[f.severity]} {properties}::{_escape_data(cell + f.message)}"
        )
    return "\n".join(lines)
