"""Run a rule's own VALID/INVALID examples (the Fixit pattern): the suite calls these for
every rule, so a new rule is tested the moment its module exists."""

from __future__ import annotations

from kgen.lint.engine import analyze
from kgen.lint.fix import apply_fixes
from kgen.lint.rule import Invalid, Rule


def assert_valid(rule: type[Rule], code: str) -> None:
    _, findings = analyze(code, [rule])
    assert (
        not findings
    ), f"{rule.CODE} fired on a VALID example: {[(f.line, f.message) for f in findings]}"


def assert_invalid(rule: type[Rule], example: Invalid) -> None:
    _, findings = analyze(example.code, [rule])
    assert findings, f"{rule.CODE} did not fire on an INVALID example:\n{example.code}"
    assert all(f.rule is rule for f in findings)
    fixes = [f.fix for f in findings if f.fix is not None]
    if example.fixed is None:
        assert (
            not fixes
        ), f"{rule.CODE} offers a fix: give the INVALID example its expected `fixed` code"
        return
    assert fixes, f"{rule.CODE} offers no fix for an example with `fixed` code"
    assert all(
        fix.safe == (rule.FIX == "safe") for fix in fixes
    ), "fix safety differs from the rule's FIX"
    fixed, _ = apply_fixes(example.code, [rule], unsafe=True)
    assert fixed == example.fixed, f"fixed code differs:\n{fixed}"
    assert not analyze(fixed, [rule])[1], f"{rule.CODE} still fires after its own fix"
