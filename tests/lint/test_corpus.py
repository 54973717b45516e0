"""Correct, idiomatic Keras 3 scripts (keras.io style, and snapshots of `kgen new` output)
must get no finding at all; so must every script the generator renders, once it is here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kgen.lint.cli import main
from kgen.lint.engine import analyze
from kgen.lint.rule import all_rules

CORPUS = Path(__file__).parent.parent / "fixtures" / "keras_scripts"
SCRIPTS = sorted(CORPUS.glob("*.py"))


def test_corpus_is_substantial():
    assert len(SCRIPTS) >= 8


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_idiomatic_script_has_no_findings(script):
    module, findings = analyze(script.read_text(), list(all_rules()))
    assert module is not None
    assert [(f.rule.CODE, f.line, f.message) for f in findings] == []


def test_corpus_through_the_command_line(capsys):
    assert main(["--format", "json", str(CORPUS)]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_every_generated_script_is_clean():
    from kgen import generate

    specs = generate.supported()
    assert specs
    for spec in specs:
        _, findings = analyze(generate.render(spec), list(all_rules()))
        assert [(f.rule.CODE, f.line, f.message) for f in findings] == [], spec.command


# Silence on the corpus means something only if the linter sees its models: break each
# script's head or RNN stack in one place and the matching rule must fire there.
def _swap_last_head(source: str) -> str | None:
    swap = {
        'activation="softmax"': 'activation="sigmoid"',
        'activation="sigmoid"': 'activation="softmax"',
    }
    at = max(source.rfind(head) for head in swap)
    if at < 0:
        return None
    head = next(h for h in swap if source.startswith(h, at))
    return source[:at] + swap[head] + source[at + len(head) :]


HEAD_MUTANTS = [(p, m) for p in SCRIPTS if (m := _swap_last_head(p.read_text())) is not None]
STACK_MUTANTS = [
    (p, p.read_text().replace("return_sequences=True", "return_sequences=False", 1))
    for p in SCRIPTS
    if "return_sequences=True" in p.read_text()
]


def test_mutants_cover_the_corpus():
    assert len(HEAD_MUTANTS) >= 10 and len(STACK_MUTANTS) >= 5


@pytest.mark.parametrize(("script", "mutant"), HEAD_MUTANTS, ids=lambda v: getattr(v, "name", ""))
def test_swapped_head_is_caught(script, mutant):
    _, findings = analyze(mutant, list(all_rules()))
    assert [f.rule.CODE for f in findings] == ["KG001"]


@pytest.mark.parametrize(("script", "mutant"), STACK_MUTANTS, ids=lambda v: getattr(v, "name", ""))
def test_broken_rnn_stack_is_caught(script, mutant):
    _, findings = analyze(mutant, list(all_rules()))
    assert [f.rule.CODE for f in findings] == ["KG002"]


# Correct Keras 3 code of the kinds people write, gathered from keras.io examples, "Deep
# Learning with Python" notebooks, TensorFlow tutorials and scikit-learn workflows, rewritten
# for Keras 3; it exercises the false-alarm classes on purpose (seq2seq states, tuple
# unpacking, `x += shortcut`, mse with accuracy on 0/1 targets, sigmoid + mse on rates and
# pixels, a snippet without imports). No error or warning may fire on it (info may).
REAL_WORLD = Path(__file__).parent.parent / "fixtures" / "real_world"


def test_real_world_corpus_is_large_and_has_notebooks():
    files = sorted(REAL_WORLD.iterdir())
    assert len(files) >= 60
    assert len([f for f in files if f.suffix == ".ipynb"]) >= 5


def test_real_world_corpus_has_no_error_or_warning(capsys):
    main(["--format", "json", "--no-cache", str(REAL_WORLD)])
    findings = json.loads(capsys.readouterr().out)
    assert findings, "the corpus gets info findings (KG003): the linter did read it"
    assert [
        (f["path"], f["line"], f["code"], f["message"])
        for f in findings
        if f["severity"] in ("error", "warning")
    ] == []
