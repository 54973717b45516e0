"""Parse, extract models, run the rules, place and filter their reports."""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass

import libcst as cst

from kgen.lint.models import extract
from kgen.lint.resolve import pasted_keras
from kgen.lint.rule import Fix, Report, Rule, rule_by_code
from kgen.lint.source import NOT_ANALYSED
from kgen.lint.source import too_deep as nesting_too_deep

SYNTAX_ERROR = "KG000"

# Suppression comments, bare or with codes: "noqa: KG001, KG002" and "kgen: ignore[KG001]".
# Compiled on first use (re caches it): ~1 ms, and a clean file never needs it.
_SUPPRESSION = (
    r"#\s*(?:noqa(?::\s*(?P<noqa>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?"
    r"|kgen:\s*ignore(?:\[(?P<ignore>[^\]]*)\])?)"
)


@dataclass(frozen=True)
class Located:
    """A rule's report placed in the source: lines 1-based, columns 1-based, end exclusive."""

    rule: type[Rule]
    message: str
    hint: str | None
    fix: Fix | None
    line: int
    column: int
    end_line: int
    end_column: int
    severity: str | None = None  # None: the rule's; "info" for a file left unanalysed


def analyze(source: str, rules: list[type[Rule]]) -> tuple[cst.Module | None, list[Located]]:
    """Lint one module's source; never raises for bad input (a parse error is a KG000)."""
    # Parsing someone else's code makes CPython warn about it (invalid escape sequences, via
    # compile() and libcst's literal_eval): the findings are the output, not those warnings.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _analyze_quietly(source, rules)


def _analyze_quietly(
    source: str, rules: list[type[Rule]]
) -> tuple[cst.Module | None, list[Located]]:
    deep = nesting_too_deep(source)
    if deep is not None:
        return None, unparsable(rules, deep.message, deep.line, deep.column, invalid=deep.invalid)
    try:
        triggered = any(t in source for r in rules if r.CODE != SYNTAX_ERROR for t in r.TRIGGERS)
        if not triggered and not pasted_keras(source):
            return None, _syntax_only(source, rules)
        return _analyze(source, rules)
    except RecursionError:  # nesting under the guard's limit can still be too deep for libcst
        return None, unparsable(rules, NOT_ANALYSED, 1, 1, invalid=False)


def _syntax_only(source: str, rules: list[type[Rule]]) -> list[Located]:
    """KG000 alone, for a file no other rule can report on (most of a large repository):
    CPython's parser checks the syntax an order of magnitude faster than libcst builds a tree."""
    try:
        compile(source, "<lint>", "exec", ast.PyCF_ONLY_AST)
    except SyntaxError:
        pass  # libcst has the final word: it also accepts syntax newer than this Python's
    except (ValueError, MemoryError):
        pass
    else:
        return []
    return _analyze(source, rules)[1]


def _analyze(source: str, rules: list[type[Rule]]) -> tuple[cst.Module | None, list[Located]]:
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        return None, unparsable(rules, *_syntax_error(source, error))

    facts = extract(module, pasted=pasted_keras(source))
    reports: list[tuple[type[Rule], Report]] = []
    seen: set[tuple] = set()
    for rule in rules:
        for report in rule().check(facts):
            # The same layer reached through two models (an encoder and its autoencoder).
            key = (rule.CODE, id(report.node), report.message)
            if key not in seen:
                seen.add(key)
                reports.append((rule, report))
    if not reports:
        return module, []  # most files: no position metadata needed, so none computed

    # Imported here: libcst.metadata costs ~15 ms at start-up, and clean files never need it.
    from kgen.lint.positions import positions as positions_of

    positions = positions_of(module, source, [report.node for _, report in reports])
    statements = [
        (where.start.line, where.end.line)
        for node, where in positions.items()
        if isinstance(node, cst.BaseSmallStatement)
    ]
    lines = source.splitlines()
    located = []
    for rule, report in reports:
        where = positions[report.node]
        start, end = where.start, where.end
        # A formatter moves a trailing comment to the statement's closing line: honour it there.
        statement_end = min(
            (e for s, e in statements if s <= start.line and e >= end.line),
            default=end.line,
        )
        if _suppressed(rule.CODE, lines, {start.line, end.line, statement_end}):
            continue
        located.append(
            Located(
                rule,
                report.message,
                report.hint,
                report.fix,
                start.line,
                start.column + 1,
                end.line,
                end.column + 1,
            )
        )
    located.sort(key=lambda f: (f.line, f.column, f.rule.CODE))
    return module, located


def unparsable(
    rules: list[type[Rule]], message: str, line: int, column: int, invalid: bool = True
) -> list[Located]:
    """The KG000 finding for a file that cannot be parsed, when KG000 is selected: an error
    for invalid code, an info for code that may be valid but is not analysed."""
    syntax = rule_by_code(SYNTAX_ERROR)
    if syntax not in rules:
        return []
    severity = None if invalid else "info"
    return [Located(syntax, message, None, None, line, column, line, column + 1, severity)]


def _syntax_error(source: str, error: cst.ParserSyntaxError) -> tuple[str, int, int]:
    """Message, line, column: CPython's wording and position when it agrees the file is
    invalid (clearer than the parser's list of expected tokens), libcst's otherwise."""
    try:
        compile(source, "<lint>", "exec", ast.PyCF_ONLY_AST)
    except SyntaxError as exc:
        return f"syntax error: {exc.msg}", exc.lineno or 1, exc.offset or 1
    except (ValueError, RecursionError):
        pass
    else:
        detail = str(error.message).splitlines()[0] if error.message else "parse error"
        return (
            f"syntax the parser does not support: {detail}",
            error.raw_line,
            error.raw_column + 1,
        )
    return "syntax error", error.raw_line, error.raw_column + 1


def _suppressed(code: str, lines: list[str], numbers: set[int]) -> bool:
    """A suppression comment on one of these lines (1-based) silences the finding."""
    for number in numbers:
        text = lines[number - 1] if 0 < number <= len(lines) else ""
        if "#" not in text:
            continue
        for match in re.finditer(_SUPPRESSION, text, re.IGNORECASE):
            codes = match.group("noqa") or match.group("ignore")
            if codes is None or not codes.strip():
                return True
            if code in {c.upper() for c in re.split(r"[\s,]+", codes) if c}:
                return True
    return False
