"""Fixes: building the replacement nodes rules offer, applying them to a source, and writing
the fixed file back safely."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

import libcst as cst

from kgen.lint.engine import analyze
from kgen.lint.rule import Rule

_NO_SPACE = cst.AssignEqual(
    whitespace_before=cst.SimpleWhitespace(""),
    whitespace_after=cst.SimpleWhitespace(""),
)


def set_keyword(call: cst.Call, name: str, value: cst.BaseExpression) -> cst.Call:
    """`call` with `name=value`: the existing keyword's value replaced, or the keyword appended
    in the call's own style (a trailing comma and the argument indentation kept)."""
    args = list(call.args)
    for index, arg in enumerate(args):
        if arg.keyword is not None and arg.keyword.value == name:
            args[index] = arg.with_changes(value=value)
            return call.with_changes(args=args)
    new = cst.Arg(value=value, keyword=cst.Name(name), equal=_NO_SPACE)
    if args and isinstance(args[-1].comma, cst.Comma):  # a multi-line call ending in a comma
        last = args[-1]
        if len(args) > 1 and isinstance(args[-2].comma, cst.Comma):
            indent = args[-2].comma.whitespace_after
        else:
            indent = call.whitespace_before_args
        args[-1] = last.with_changes(comma=last.comma.with_changes(whitespace_after=indent))
        new = new.with_changes(comma=last.comma)
    return call.with_changes(args=[*args, new])


class _Replace(cst.CSTTransformer):
    def __init__(self, replacements: dict[int, cst.CSTNode]) -> None:
        self.replacements = replacements

    def on_leave(self, original_node, updated_node):
        return self.replacements.get(id(original_node), updated_node)


def apply_fixes(source: str, rules: list[type[Rule]], unsafe: bool) -> tuple[str, int]:
    """The source with the rules' fixes applied (unsafe ones too when asked), and how many.

    Fixes are applied round by round, re-linting in between, so two fixes touching nested nodes
    never undo each other: the second lands in a later round.
    """
    initial = None
    for _ in range(10):
        module, located = analyze(source, rules)
        fixes = [f.fix for f in located if f.fix is not None and (f.fix.safe or unsafe)]
        if initial is None:
            initial = len(fixes)
        if module is None or not fixes:
            return source, initial - len(fixes)
        replacements: dict[int, cst.CSTNode] = {}
        for fix in fixes:
            for old, new in fix.replacements:
                replacements.setdefault(id(old), new)
        fixed = module.visit(_Replace(replacements)).code
        if fixed == source:
            return source, initial - len(fixes)
        source = fixed
    return source, initial


def write_atomic(path: Path, data: bytes) -> None:
    """Replace the file's content all at once: written to a temporary file beside it, given the
    original's permissions, then renamed over it. A reader (or a crash) never sees half a file;
    a symbolic link is kept and its target rewritten."""
    import tempfile  # here: rules import this module, and tempfile costs ~2 ms of start-up

    target = Path(os.path.realpath(path))
    mode = os.stat(target).st_mode
    # The rename would replace a file its owner made read-only: refuse as writing it would.
    if not os.access(target, os.W_OK, effective_ids=True):
        raise PermissionError(13, "Permission denied (the file is read-only)", str(path))
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, stat.S_IMODE(mode))
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def apply_one(source: str, rules: list[type[Rule]], code: str, line: int, column: int) -> str:
    """The source with only the fix of the finding `code` at (line, column) applied (1-based;
    the source's own lines, not a notebook cell's); the source unchanged when it has none."""
    module, located = analyze(source, rules)
    for item in located:
        if (item.rule.CODE, item.line, item.column) == (code, line, column) and item.fix:
            replacements = {id(old): new for old, new in item.fix.replacements}
            return module.visit(_Replace(replacements)).code
    return source
