"""Every rule's own examples, and the shape every rule module must have."""

import pytest

from kgen.lint.config import rule_codes
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
    assert -1 not in positions and positions == sorted(positions), f"{rule.CODE} doc sections"
    assert len(rule.VALID) >= 10 and len(rule.INVALID) >= 10


def test_codes_and_names_are_unique():
    assert len({r.CODE for r in RULES}) == len(RULES) == len({r.NAME for r in RULES})


def test_a_new_rule_is_one_module_and_no_engine_change(tmp_path, monkeypatch, capsys):
    import kgen.rules

    from kgen.lint.cli import main

    package = tmp_path / "more_rules"
    package.mkdir()
    (package / "kg999_every_model.py").write_text(
        "from kgen.lint.rule import Report, Rule\n"
        "class EveryModel(Rule):\n"
        "    CODE, NAME, SEVERITY, SUMMARY = 'KG999', 'every-model', 'warning', 'A model'\n"
        "    def check(self, facts):\n"
        "        for model in facts.models:\n"
        "            yield Report(model.call, 'a model')\n"
    )
    monkeypatch.setattr(kgen.rules, "__path__", [*kgen.rules.__path__, str(package)])
    all_rules.cache_clear()
    rule_codes.cache_clear()
    try:
        script = tmp_path / "train.py"
        script.write_text("import keras\nmodel = keras.Sequential()\n")
        assert main(["--select", "KG999", str(script)]) == 1
        assert f"{script}:2:9: KG999 a model" in capsys.readouterr().out
    finally:
        monkeypatch.undo()
        all_rules.cache_clear()
        rule_codes.cache_clear()
    assert "KG999" not in [rule.CODE for rule in all_rules()]


def test_rule_modules_are_named_after_their_codes():
    """Selection reads codes from module names (no import on a warm-cache run): kg001_*.py
    must hold KG001."""
    assert rule_codes() == tuple(rule.CODE for rule in all_rules())
    for rule in all_rules():
        assert rule.__module__.rpartition(".")[2].startswith(rule.CODE.lower() + "_"), rule
