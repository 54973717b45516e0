"""Every rule's own examples, and the shape every rule module must have."""

import pytest

from kgen.lint.rule import DOC_SECTIONS, SEVERITIES, all_rules
from kgen.lint.testing import assert_invalid, assert_valid

RULES = all_rules()


def _cases(kind):
    for rule in RULES:
        for index, example in enumerate(getattr(rule, kind)):
            yield pytest.param(rule, example, id=f"{rule.CODE}-{kind.lower()}-{index}")


@pytest.mark.parametrize(("rule", "code"), list(_cases("VALID")))
def test_valid_example_is_silent(rule, code):
    assert_valid(rule, code)


@pytest.mark.parametrize(("rule", "example"), list(_cases("INVALID")))
def test_invalid_example_fires(rule, example):
    assert_invalid(rule, example)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.CODE)
def test_rule_module_is_complete(rule):
    assert rule.CODE.startswith("KG") and len(rule.CODE) == 5
    assert rule.NAME == rule.NAME.lower() and " " not in rule.NAME
    assert rule.SEVERITY in SEVERITIES
    assert rule.FIX in (None, "safe", "unsafe")
    assert rule.SUMMARY and "\n" not in rule.SUMMARY
    doc = rule.doc()
    positions = [doc.find(section) for section in DOC_SECTIONS]
    assert -1 not in positions and positions == sorted(positions), (
        f"{rule.CODE} doc sections"
    )
    assert len(rule.VALID) >= 10 and len(rule.INVALID) >= 10


def test_codes_and_names_are_unique():
    assert len({r.CODE for r in RULES}) == len(RULES) == len({r.NAME for r in RULES})
