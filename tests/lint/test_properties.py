"""Properties of the engine on generated programs: KG002 against an oracle on RNN stacks
written three ways (Sequential list, `.add()`, functional), firing exactly on the RNNs that feed
another RNN without returning sequences, its fix leaving nothing to fire on; and Keras-like
programs in every import style, mutated at random, never making the engine raise."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from kgen.rules.kg002_rnn_missing_return_sequences import (
    RnnMissingReturnSequences as KG002,
)

from kgen.lint.engine import analyze
from kgen.lint.fix import apply_fixes
from kgen.lint.rule import all_rules

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


# Keras-like programs in every spelling the engine resolves, then broken at random: whatever
# the text, no exception escapes the engine or the fixer, and the same text gives the same
# findings every time.
IMPORTS = {
    "keras": ("import keras\nfrom keras import layers\n", "keras", "layers."),
    "tf": ("import tensorflow as tf\n", "tf.keras", "tf.keras.layers."),
    "alias": ("import tensorflow.keras as K\nfrom keras import layers as L\n", "K", "L."),
    "names": (
        (
            "from keras import Sequential, Model, Input\n"
            "from keras.layers import Dense, LSTM, GRU, Dropout, Conv2D, Flatten, Bidirectional\n"
        ),
        "",
        "",
    ),
    "star": ("import keras\nfrom keras.layers import *\n", "keras", ""),
}
ACTIVATIONS = ('"softmax"', '"sigmoid"', '"relu"', '"tanh"', "None", "act", '"linear"')
LOSSES = (
    '"categorical_crossentropy"', '"sparse_categorical_crossentropy"', '"binary_crossentropy"',
    '"mse"', "keras.losses.BinaryCrossentropy(from_logits=True)",
    "keras.losses.CategoricalCrossentropy()", "LOSS", '["mse", "mae"]',
    '{"out": "binary_crossentropy"}', "loss_fn",
)  # fmt: skip


@st.composite
def layer_call(draw, prefix: str) -> str:
    kind = draw(st.sampled_from(["Dense", "LSTM", "GRU", "Dropout", "Conv2D", "Flatten", "Bi"]))
    if kind == "Bi":
        inner = draw(st.sampled_from(["LSTM(4)", "GRU(4, return_sequences=True)"]))
        return f"{prefix}Bidirectional({prefix}{inner})"
    args = []
    if kind in ("Dense", "LSTM", "GRU", "Conv2D"):
        args.append(draw(st.sampled_from(["8", "units", "n * 2", "1"])))
    if kind == "Conv2D":
        args.append(draw(st.sampled_from(["3", "(3, 3)"])))
    if kind == "Dropout":
        args.append(draw(st.sampled_from(["0.5", "p"])))
    extra = draw(
        st.lists(
            st.sampled_from(
                [f"activation={a}" for a in ACTIVATIONS]
                + ["return_sequences=True", "return_sequences=False", "return_sequences=flag",
                   'name="out"', "**kwargs", "*extra", "padding='same'"]
            ),
            max_size=2,
            unique_by=lambda arg: arg.split("=")[0],
        )
    )  # fmt: skip
    extra.sort(key=lambda arg: arg.startswith("**"))  # `**kwargs` last, as Python requires
    return f"{prefix}{kind}({', '.join(args + extra)})"


@st.composite
def keras_program(draw) -> str:
    header, keras, prefix = IMPORTS[draw(st.sampled_from(sorted(IMPORTS)))]
    sequential = f"{keras}.Sequential" if keras else "Sequential"
    model_class = f"{keras}.Model" if keras else "Model"
    input_call = f"{keras}.Input" if keras else "Input"
    calls = draw(st.lists(layer_call(prefix), min_size=1, max_size=6))
    style = draw(st.sampled_from(["list", "add", "functional", "function"]))
    lines = [header.rstrip("\n"), 'LOSS = "binary_crossentropy"']
    if style == "list":
        lines.append(f"model = {sequential}([{input_call}(shape=(10, 4)), {', '.join(calls)}])")
    elif style == "add":
        lines.append(f"model = {sequential}()")
        lines += [f"model.add({call})" for call in calls]
    else:
        body = [f"inputs = {input_call}(shape=(10, 4))", "x = inputs"]
        body += [f"x = {call}(x)" for call in calls]
        body.append(f"model = {model_class}(inputs, x)")
        if style == "function":
            lines.append("def build(units, flag, act):")
            lines += [f"    {line}" for line in body] + ["    return model", "model = build(8)"]
        else:
            lines += body
    loss = draw(st.sampled_from(LOSSES))
    lines.append(f"model.compile(optimizer='adam', loss={loss}, metrics=['accuracy'])")
    return "\n".join(lines) + "\n"


_TOKEN = re.compile(r"\w+|[^\w\s]|\s+")


@st.composite
def mutated(draw) -> str:
    source = draw(keras_program())
    for _ in range(draw(st.integers(1, 3))):
        tokens = _TOKEN.findall(source)
        if not tokens:  # an earlier mutation deleted everything
            break
        how = draw(st.sampled_from(["delete", "swap", "duplicate", "truncate", "indent"]))
        i = draw(st.integers(0, len(tokens) - 1))
        j = draw(st.integers(0, len(tokens) - 1))
        if how == "delete":
            del tokens[i]
        elif how == "swap":
            tokens[i], tokens[j] = tokens[j], tokens[i]
        elif how == "duplicate":
            tokens.insert(i, tokens[j])
        elif how == "truncate":
            tokens = tokens[: max(i, 1)]
        else:
            tokens.insert(i, "\n    ")
        source = "".join(tokens)
    return source


def _summary(source: str) -> list[tuple]:
    _, located = analyze(source, RULES)
    return [(f.rule.CODE, f.line, f.column, f.end_line, f.end_column, f.message) for f in located]


RULES = list(all_rules())


@settings(max_examples=150, deadline=None)
@given(keras_program())
def test_generated_programs_lint_deterministically_and_fixes_settle(source):
    compile(source, "<generated>", "exec")  # the generator writes valid Python
    first = _summary(source)
    assert first == _summary(source)
    assert "KG000" not in {code for code, *_ in first}
    fixed, _ = apply_fixes(source, RULES, unsafe=True)
    compile(fixed, "<fixed>", "exec")
    assert apply_fixes(fixed, RULES, unsafe=True) == (fixed, 0)


@settings(max_examples=250, deadline=None)
@given(mutated())
def test_mutated_programs_never_raise_and_lint_deterministically(source):
    module, located = analyze(source, RULES)
    assert _summary(source) == _summary(source)
    if module is None:  # rejected by the parser (KG000 only), or no rule concerns it (nothing)
        codes = [f.rule.CODE for f in located]
        concerned = any(t in source for rule in RULES for t in rule.TRIGGERS)
        assert codes == ["KG000"] or (codes == [] and not concerned), (codes, concerned)
    else:
        apply_fixes(source, RULES, unsafe=True)
