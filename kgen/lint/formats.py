"""Findings as text (ruff-like), JSON, SARIF 2.1.0 (GitHub code scanning) or GitHub
workflow commands."""

from __future__ import annotations

import json
from pathlib import Path

from kgen import __version__


def count(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def location(finding) -> str:
    cell = f"cell {finding.cell}:" if finding.cell is not None else ""
    return f"{finding.path}:{cell}{finding.line}:{finding.column}"


def text(outcome, unsafe_fixes: bool) -> str:
    out = []
    for f in outcome.findings:
        fixable = f.fix is not None and (f.fix_applicability == "safe" or unsafe_fixes)
        out.append(f"{location(f)}: {f.code} {'[*] ' if fixable else ''}{f.message}")
        if f.hint:
            out.append(f"  help: {f.hint}")
    out.append(_summary(outcome, unsafe_fixes))
    return "\n".join(out)


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
    return json.dumps([f.as_json() for f in outcome.findings], indent=2)


_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def sarif(outcome) -> str:
    from kgen.lint.rule import rule_by_code

    rules = [rule_by_code(code) for code in outcome.codes]
    index = {rule.CODE: i for i, rule in enumerate(rules)}
    results = []
    for f in outcome.findings:
        message = f.message if f.cell is None else f"{f.message} (cell {f.cell})"
        result = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(f.path)},
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.column,
                            "endLine": f.end_line,
                            "endColumn": f.end_column,
                        },
                    }
                }
            ],
        }
        if f.cell is not None:
            result["properties"] = {"cell": f.cell}
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
        "defaultConfiguration": {"level": _SARIF_LEVEL[rule.SEVERITY]},
        "properties": {"tags": [rule.NAME]},
    }


def _uri(path: str) -> str:
    p = Path(path)
    return p.as_uri() if p.is_absolute() else p.as_posix()


_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def github(outcome) -> str:
    lines = []
    for f in outcome.findings:
        properties = ",".join(
            f"{key}={_escape_property(str(value))}"
            for key, value in (
                ("file", f.path),
                ("line", f.line),
                ("col", f.column),
                ("endLine", f.end_line),
                ("endColumn", f.end_column),
                ("title", f"{f.code} {f.name}"),
            )
        )
        cell = f"cell {f.cell}: " if f.cell is not None else ""
        lines.append(
            f"::{_GITHUB_LEVEL[f.severity]} {properties}::{_escape_data(cell + f.message)}"
        )
    return "\n".join(lines)
