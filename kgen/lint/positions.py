"""Where reported nodes are, computed for the top-level statements that hold them only.

libcst computes positions by generating the code of the whole module again, which costs more
than parsing it (~95 ms against ~60 ms for a 300-line script): on every keystroke in
`kgen server`, and for every file with a finding. A top-level statement's code does not depend
on what surrounds it, so its positions are those of a module holding just that statement,
shifted by its first line, which CPython's own parser gives in a few milliseconds."""

from __future__ import annotations

import ast
import dataclasses
from functools import cache

import libcst as cst
from libcst.metadata import CodePosition, CodeRange, MetadataWrapper, PositionProvider


def positions(module: cst.Module, source: str, nodes: list[cst.CSTNode]) -> dict:
    """node -> CodeRange for every node of the top-level statements that contain `nodes`."""
    shifted = _by_statement(module, source, nodes)
    if shifted is None:  # a statement layout CPython reads otherwise: the whole module
        return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    return shifted


def _first_lines(module: cst.Module, source: str) -> list[int] | None:
    """The line each top-level statement starts on, or None when CPython's parser
    disagrees with libcst about the statements (or cannot parse newer syntax)."""
    try:
        body = ast.parse(source).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    lines, index = [], 0
    for statement in module.body:
        count = len(statement.body) if isinstance(statement, cst.SimpleStatementLine) else 1
        if index + count > len(body):
            return None
        lines.append(body[index].lineno)  # a decorated def: both say its `def` line
        index += count
    return lines if index == len(body) else None


def _by_statement(module: cst.Module, source: str, nodes: list[cst.CSTNode]) -> dict | None:
    wanted = {id(node) for node in nodes}
    first_lines = _first_lines(module, source)
    if first_lines is None:
        return None
    result: dict = {}
    for statement, first_line in zip(module.body, first_lines):
        if not wanted:
            break
        inside = _ids(statement)
        if not wanted & inside:
            continue
        wanted -= inside
        alone = module.with_changes(body=[statement], header=[], footer=[])
        found = MetadataWrapper(alone, unsafe_skip_copy=True).resolve(PositionProvider)
        offset = first_line - found[statement].start.line
        for node, where in found.items():
            result[node] = CodeRange(
                CodePosition(where.start.line + offset, where.start.column),
                CodePosition(where.end.line + offset, where.end.column),
            )
    return None if wanted else result


def _ids(root: cst.CSTNode) -> set[int]:
    """Every node under `root`, read from the nodes' fields: libcst's `children` runs a
    visitor per node, several times slower."""
    seen, pending = set(), [root]
    while pending:
        node = pending.pop()
        seen.add(id(node))
        for name in _field_names(type(node)):
            value = getattr(node, name)
            if isinstance(value, cst.CSTNode):
                pending.append(value)
            elif isinstance(value, (list, tuple)):
                pending.extend(item for item in value if isinstance(item, cst.CSTNode))
    return seen


@cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(kind))
