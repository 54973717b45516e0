"""Jupyter notebooks: code cells joined into one module (a model built in one cell is compiled
in another), findings mapped back to (cell, line), fixes written back cell by cell."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from kgen.errors import KgenError


@dataclass
class _Cell:
    number: int  # 1-based among the code cells, as ruff and editors count them
    index: int  # position in the notebook's "cells" list
    first_line: int  # 1-based line of the joined source where the cell starts
    lines: list[str]  # the cell's original lines, without line endings
    masked: set[int]  # indexes of IPython lines (magics, shell escapes) hidden from the parser
    trailing_newline: bool


@dataclass
class Notebook:
    data: dict
    cells: list[_Cell]
    source: str
    text: str  # the file's JSON as read

    def locate(self, line: int) -> tuple[int, int]:
        """A line of the joined source -> (cell number, line within the cell)."""
        for cell in reversed(self.cells):
            if line >= cell.first_line:
                return cell.number, line - cell.first_line + 1
        return 1, line

    def with_source(self, source: str) -> str | None:
        """The notebook JSON with the cells rewritten from fixed joined source; None when a fix
        changed the line structure in a way that cannot be mapped back. Only changed cells are
        rewritten, in the file's own JSON layout, so a small fix is a small diff."""
        dump = _layout(self.data, self.text)
        lines = source.split("\n")
        for cell in self.cells:
            new = lines[cell.first_line - 1 : cell.first_line - 1 + len(cell.lines)]
            if len(new) != len(cell.lines):
                return None
            for index in cell.masked:
                new[index] = cell.lines[index]
            if new == cell.lines:
                continue
            text = "\n".join(new) + ("\n" if cell.trailing_newline else "")
            raw = self.data["cells"][cell.index]
            raw["source"] = text if isinstance(raw.get("source"), str) else text.splitlines(True)
        return dump(self.data)


def _layout(data: dict, text: str):
    """A json.dumps that writes `data` as `text` was written (indentation, ASCII escapes,
    final newline), found by trying the layouts notebook tools use; nbformat's otherwise."""
    newline = "\n" if text.endswith("\n") else ""
    for indent in (1, 2, 4, None):
        for ensure_ascii in (False, True):
            layout = {"indent": indent, "ensure_ascii": ensure_ascii}
            if json.dumps(data, **layout) + newline == text:
                return lambda value: json.dumps(value, **layout) + newline
    return lambda value: json.dumps(value, indent=1, ensure_ascii=False) + "\n"


# IPython-only lines: `%magic`, `!shell`, `?name`, `name?`/`name??` help requests, and their
# results assigned (`files = !ls`, `out = %timeit -o f()`).
_IPYTHON_LINE = re.compile(r"\s*(?:[%!?]|[\w.]+\?\??\s*$|[\w.]+(?:\s*,\s*[\w.]+)*\s*=\s*[%!])")
# Cell magics whose body is Python: only their first line is IPython's.
_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug"}


def _is_ipython(line: str) -> bool:
    return _IPYTHON_LINE.match(line) is not None


def _masked(line: str) -> str:
    """What the parser sees for an IPython line, on one line still: a comment, or `pass` when
    indented (it may be the only statement of a block)."""
    body = line.lstrip()
    indent = line[: len(line) - len(body)]
    return f"{indent}pass" if indent else "#" + line[1:]


def read_notebook(text: str, path: str) -> Notebook:
    try:
        data = json.loads(text)
        raw_cells = data["cells"]
    except (ValueError, KeyError, TypeError):
        raise KgenError(f"{path}: not a Jupyter notebook (invalid JSON or no cells)") from None
    cells: list[_Cell] = []
    parts: list[str] = []
    line = 1
    for index, raw in enumerate(raw_cells):
        if not isinstance(raw, dict) or raw.get("cell_type") != "code":
            continue
        source = raw.get("source", "")
        cell_text = "".join(source) if isinstance(source, list) else str(source)
        lines = cell_text.split("\n")
        trailing_newline = len(lines) > 1 and lines[-1] == ""
        if trailing_newline:
            lines.pop()
        first = lines[0].lstrip() if lines else ""
        magic = first[2:].split(maxsplit=1)[0] if first.startswith("%%") and first[2:] else ""
        whole_cell_magic = first.startswith("%%") and magic not in _PYTHON_CELL_MAGICS
        masked = {i for i, ln in enumerate(lines) if whole_cell_magic or _is_ipython(ln)}
        parser_lines = [
            (_masked(ln) if ln else "#") if i in masked else ln for i, ln in enumerate(lines)
        ]
        cells.append(_Cell(len(cells) + 1, index, line, lines, masked, trailing_newline))
        parts.extend(parser_lines)
        line += len(lines)
    return Notebook(data, cells, "\n".join(parts) + "\n", text)
