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

    def locate(self, line: int) -> tuple[int, int]:
        """A line of the joined source -> (cell number, line within the cell)."""
        for cell in reversed(self.cells):
            if line >= cell.first_line:
                return cell.number, line - cell.first_line + 1
        return 1, line

    def with_source(self, source: str) -> str | None:
        """The notebook JSON with the cells rewritten from fixed joined source; None when a fix
        changed the line structure in a way that cannot be mapped back."""
        lines = source.split("\n")
        for cell in self.cells:
            new = lines[cell.first_line - 1 : cell.first_line - 1 + len(cell.lines)]
            if len(new) != len(cell.lines):
                return None
            for index in cell.masked:
                new[index] = cell.lines[index]
            text = "\n".join(new) + ("\n" if cell.trailing_newline else "")
            self.data["cells"][cell.index]["source"] = text.splitlines(keepends=True)
        return json.dumps(self.data, indent=1, ensure_ascii=False) + "\n"


# IPython-only lines: `%magic`, `!shell`, and `name?`/`name??` help requests.
_IPYTHON_LINE = re.compile(r"\s*(?:[%!]|[\w.]+\?\??\s*$)")


def _is_ipython(line: str) -> bool:
    return _IPYTHON_LINE.match(line) is not None


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
        text = "".join(source) if isinstance(source, list) else str(source)
        lines = text.split("\n")
        trailing_newline = len(lines) > 1 and lines[-1] == ""
        if trailing_newline:
            lines.pop()
        whole_cell_magic = bool(lines) and lines[0].lstrip().startswith("%%")
        masked = {i for i, ln in enumerate(lines) if whole_cell_magic or _is_ipython(ln)}
        # A masked line becomes a comment of the same length: columns stay right.
        parser_lines = [
            ("#" + ln[1:] if ln else "#") if i in masked else ln for i, ln in enumerate(lines)
        ]
        cells.append(_Cell(len(cells) + 1, index, line, lines, masked, trailing_newline))
        parts.extend(parser_lines)
        line += len(lines)
    return Notebook(data, cells, "\n".join(parts) + "\n")
