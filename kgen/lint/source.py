"""A file's bytes as the text the engine reads, and back: the encoding (PEP 263 cookie or
UTF-8), a UTF-8 BOM and the line endings are kept, so `--fix` writes the file as it found it.
Also the guard that keeps nesting too deep for the parser away from it. `kgen lint` and
`kgen summary` read files through `read_bytes` and `decode` alike."""

from __future__ import annotations

import ast
import codecs
import io
import os
import re
import stat
import tokenize
from dataclasses import dataclass
from pathlib import Path

_BOM = codecs.BOM_UTF8

# Deeper than this, libcst's native parser is slow (seconds) and then overflows its stack:
# the process dies with a segfault. CPython itself refuses brackets nested over 200 deep.
MAX_EXPRESSION_DEPTH = 200


@dataclass(frozen=True)
class Source:
    text: str
    encoding: str  # a codec name: "utf-8" unless a coding cookie says otherwise
    bom: bool

    def encode(self, text: str) -> bytes:
        return (_BOM if self.bom else b"") + text.encode(self.encoding)


def read_bytes(path: Path) -> bytes:
    """A regular file's bytes. Opened without blocking and checked once open: a FIFO or a
    device named like a script is refused (`OSError`, "not a regular file"), never waited on."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with open(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "Not a regular file", os.fspath(path))
        return handle.read()


def special_file(path: Path) -> bool:
    """A FIFO, socket or device (links followed): never read, so skipped when walking."""
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False  # a broken link or a loop: reading it reports why


def read_script(path: Path, data: bytes | None = None):
    """What `kgen lint` and `kgen summary` analyse: (Source, Notebook or None, the text to
    parse, a notebook's code cells joined). `Undecodable` for a script that is not text,
    KgenError for a file that is not a notebook, OSError for one that cannot be read."""
    if data is None:
        data = read_bytes(path)
    if path.suffix != ".ipynb":
        decoded = decode(data)
        return decoded, None, decoded.text
    from kgen.errors import KgenError
    from kgen.lint.notebook import read_notebook

    try:
        decoded = decode(data)
    except Undecodable as exc:
        raise KgenError(f"{path}: not a Jupyter notebook ({exc.message})") from None
    notebook = read_notebook(decoded.text, str(path))
    return decoded, notebook, notebook.source


class Undecodable(Exception):
    """The bytes are not Python source text: the message says why, line and column where."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


def decode(data: bytes) -> Source:
    """The source text of a file, decoded the way Python would; `Undecodable` otherwise."""
    bom = data.startswith(_BOM)
    body = data[len(_BOM) :] if bom else data
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:  # an unknown codec, a cookie against the BOM, or not UTF-8
        _decode_utf8(body)  # raises with the position when the bytes are the problem
        raise Undecodable(str(exc.msg).split(" for ")[0]) from None
    encoding = "utf-8" if encoding == "utf-8-sig" else encoding
    if encoding == "utf-8":
        text = _decode_utf8(body)
    else:
        try:
            text = body.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            where = _position(body, exc.start) if isinstance(exc, UnicodeDecodeError) else (1, 1)
            raise Undecodable(f"not valid {encoding} text, as its coding cookie says", *where)
    if "\0" in text:
        raise Undecodable(
            "source contains a null byte (a binary file?)", *_position(text, text.index("\0"))
        )
    return Source(text, encoding, bom)


def _decode_utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = body[exc.start]
        raise Undecodable(
            f"not UTF-8 (byte 0x{byte:02x}) and no encoding declared (PEP 263)",
            *_position(body, exc.start),
        ) from None


def _position(text: str | bytes, offset: int) -> tuple[int, int]:
    newline = "\n" if isinstance(text, str) else b"\n"
    line = text.count(newline, 0, offset) + 1
    return line, offset - (text.rfind(newline, 0, offset) + 1) + 1


# Cheap signs that a file may nest deeper than the parser can take: deep brackets (counted
# over the whole text, strings included, so an overestimate), very long lines (a chain of
# thousands of operators), long runs of unary operators.
_NOT_BRACKET = re.compile(r"[^][(){}]+")
# 300: a comment ruled with dashes is no reason to parse twice, and libcst fails cleanly (a
# RecursionError, caught) on runs below a thousand; the segfaults start above that.
_UNARY_RUN = re.compile(r"(?:(?:\bnot\s+|[-+~]\s*)){300}")
_LONG_LINE = re.compile(r"^[^\n]{4000}", re.MULTILINE)


NOT_ANALYSED = f"not analysed: expressions nested over {MAX_EXPRESSION_DEPTH} levels deep"


@dataclass(frozen=True)
class TooDeep:
    """Why the parser must not see a text: a syntax error CPython found (`invalid`), or nesting
    too deep to analyse in code that may well be valid (a 1000-term sum compiles)."""

    message: str
    line: int
    column: int
    invalid: bool


def too_deep(text: str) -> TooDeep | None:
    """Why `text` nests expressions deeper than the parser can take, else None. Fast for
    ordinary files; only a suspicious one is parsed by CPython to measure."""
    if not (_deep_brackets(text) or _UNARY_RUN.search(text) or _LONG_LINE.search(text)):
        return None
    try:
        tree = compile(text, "<lint>", "exec", ast.PyCF_ONLY_AST)
    except SyntaxError as exc:
        return TooDeep(f"syntax error: {exc.msg}", exc.lineno or 1, exc.offset or 1, True)
    except (RecursionError, MemoryError, ValueError):
        # CPython's own limits (which vary by version and recursion limit), not a syntax error.
        return TooDeep(NOT_ANALYSED, 1, 1, False)
    deepest = _deepest_expression(tree)
    if deepest is None:
        return None
    line, column = getattr(deepest, "lineno", 1), getattr(deepest, "col_offset", 0) + 1
    return TooDeep(NOT_ANALYSED, line, column, False)


def _deep_brackets(text: str) -> bool:
    """Brackets nested over half the limit, strings and comments included: each round peels
    the innermost pairs, at C speed (~50 us for a 300-line file, where a loop took 1 ms)."""
    brackets = _NOT_BRACKET.sub("", text)
    for _ in range(MAX_EXPRESSION_DEPTH // 2):
        inner = brackets.replace("()", "").replace("[]", "").replace("{}", "")
        if inner == brackets:
            return False
        brackets = inner
    return True


def _deepest_expression(tree: ast.AST) -> ast.AST | None:
    """The first expression nested deeper than the limit (statements do not count), or None;
    iterative, since the tree may be too deep to recurse over."""
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        for child in ast.iter_child_nodes(node):
            child_depth = depth + 1 if isinstance(child, ast.expr) else 0
            if child_depth > MAX_EXPRESSION_DEPTH:
                return child
            stack.append((child, child_depth))
    return None
