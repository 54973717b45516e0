"""KG002 against an oracle, on generated RNN stacks written three ways (Sequential list,
`.add()`, functional): it fires exactly on the RNNs that feed another RNN without returning
sequences, and its fix leaves nothing to fire on."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from kgen.rules.kg002_rnn_missing_return_sequences import (
    RnnMissingReturnSequences as KG002,
)

from kgen.lint.engine import analyze
from kgen.lint.fix import apply_fixes

RNNS = ("LSTM", "GRU", "SimpleRNN", "Bidirectional")
KEEPS_TIME = ("Dropout", "BatchNormalization", "LayerNormalization")
OTHERS = ("Dense", "RepeatVector", "Flatten")

layer = st.one_of(
    st.tuples(st.sampled_from(RNNS), st.sampled_from([True, False, None])),
    st.tuples(st.sampled_from(KEEPS_TIME + OTHERS), st.none()),
)


def constructor(kind: str, returns: bool | None) -> str:
    keyword = "" if returns is None else f", return_sequences={returns}"
    if kind == "Bidirectional":
        return f"layers.Bidirectional(layers.LSTM(8{keyword}))"
    if kind in RNNS:
        return f"layers.{kind}(8{keyword})"
    return {"Dropout": "layers.Dropout(0.1)", "RepeatVector": "layers.RepeatVector(3)",
            "Dense": "layers.Dense(8)"}.get(kind, f"layers.{kind}()")  # fmt: skip


def render(stack, style: str) -> tuple[str, list[int]]:
    """The script, and the line of each layer's constructor."""
    lines = ["import keras", "from keras import layers"]
    where = []
    if style == "list":
        lines.append("model = keras.Sequential([keras.Input(shape=(10, 4)),")
        for kind, returns in stack:
            where.append(len(lines) + 1)
            lines.append(f"    {constructor(kind, returns)},")
        lines.append("])")
    elif style == "add":
        lines += ["model = keras.Sequential()", "model.add(keras.Input(shape=(10, 4)))"]
        for kind, returns in stack:
            where.append(len(lines) + 1)
            lines.append(f"model.add({constructor(kind, returns)})")
    else:
        lines += ["inputs = keras.Input(shape=(10, 4))", "x = inputs"]
        for kind, returns in stack:
            where.append(len(lines) + 1)
            lines.append(f"x = {constructor(kind, returns)}(x)")
        lines.append("model = keras.Model(inputs, x)")
    return "\n".join(lines) + "\n", where


def expected(stack) -> list[int]:
    flagged = []
    for i, (kind, returns) in enumerate(stack):
        if kind not in RNNS or returns is True:
            continue
        for later, _ in stack[i + 1 :]:
            if later in RNNS:
                flagged.append(i)
            if later not in KEEPS_TIME:
                break
    return flagged


@settings(max_examples=150, deadline=None)
@given(
    st.lists(layer, min_size=1, max_size=7),
    st.sampled_from(["list", "add", "functional"]),
)
def test_kg002_matches_the_oracle_and_its_fix_settles(stack, style):
    source, where = render(stack, style)
    _, findings = analyze(source, [KG002])
    assert sorted(f.line for f in findings) == [where[i] for i in expected(stack)]
    fixed, count = apply_fixes(source, [KG002], unsafe=False)
    assert count == len(findings)
    assert analyze(fixed, [KG002])[1] == []
