"""What a rule is: one class in one module of `rules/`, found by iterating the package.

A rule reads the models the engine extracted (`kgen.lint.models.Facts`) and yields `Report`s.
Its docstring is its documentation (`kgen explain`), and its `VALID`/`INVALID` examples are run
by the test suite, so a rule cannot drift from what it says it does.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import ClassVar

import libcst as cst

SEVERITIES = ("error", "warning", "info")
DOC_SECTIONS = (
    "## What it does",
    "## Why is this bad?",
    "## Example",
    "## Use instead",
    "## Fix safety",
)


@dataclass(frozen=True)
class Fix:
    description: str
    safe: bool
    replacements: tuple[tuple[cst.CSTNode, cst.CSTNode], ...]  # (node in the tree, new node)


@dataclass(frozen=True)
class Report:
    node: cst.CSTNode  # where the finding is located
    message: str
    hint: str | None = None
    fix: Fix | None = None


@dataclass(frozen=True)
class Invalid:
    """An example a rule must flag; `fixed` is the code after its fixes (safe and unsafe)."""

    code: str
    fixed: str | None = None


class Rule:
    CODE: ClassVar[str]  # "KG001"
    NAME: ClassVar[str]  # "activation-loss-mismatch"
    SEVERITY: ClassVar[str]  # "error" | "warning" | "info"
    SUMMARY: ClassVar[str]  # one line for `kgen rules`
    FIX: ClassVar[str | None] = None  # "safe" | "unsafe" | None: the fix it can offer
    # Text a file must contain for this rule to have anything to say: rules reason about names
    # imported from these libraries, so the engine skips the full parse of files without them.
    TRIGGERS: ClassVar[tuple[str, ...]] = ("keras",)
    VALID: ClassVar[tuple[str, ...]] = ()
    INVALID: ClassVar[tuple[Invalid, ...]] = ()

    def check(self, facts) -> Iterable[Report]:
        return ()

    @classmethod
    def doc(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")


@cache
def all_rules() -> tuple[type[Rule], ...]:
    """Every rule in the `kgen.rules` package, by code."""
    import kgen.rules

    found = []
    for info in pkgutil.iter_modules(kgen.rules.__path__):
        module = importlib.import_module(f"kgen.rules.{info.name}")
        found.extend(
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, Rule)
            and value.__module__ == module.__name__
        )
    return tuple(sorted(found, key=lambda rule: rule.CODE))


def string_in(call: cst.Call, text: str) -> cst.CSTNode:
    """The string literal in the call's arguments, or the call (a constant defined elsewhere)."""
    pending = [arg.value for arg in call.args]
    while pending:
        node = pending.pop()
        if isinstance(node, cst.SimpleString) and node.evaluated_value == text:
            return node
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            pending.extend(e.value for e in node.elements)
        elif isinstance(node, cst.Dict):
            pending.extend(e.value for e in node.elements if isinstance(e, cst.DictElement))
    return call


def rule_by_code(code: str) -> type[Rule] | None:
    return next((rule for rule in all_rules() if rule.CODE == code.upper()), None)
