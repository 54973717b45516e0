"""Properties of the engine on generated programs: KG002 against an oracle on RNN stacks
written three ways (Sequential list, `.add()`, functional), firing exactly on the RNNs that feed
another RNN without returning sequences, its fix leaving nothing to fire on; and Keras-like
programs in every import style, mutated at random, never making the engine raise."""

from __future__ import annotations

import re

import libcst as cst
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kgen.rules.kg002_rnn_missing_return_sequences import (
    RnnMissingReturnSequences as KG002,
)
from libcst.metadata import MetadataWrapper, PositionProvider

from kgen.lint.engine import analyze
from kgen.lint.fix import apply_fixes
from kgen.lint.models import Model, extract
from kgen.lint.rule import all_rules
from kgen.lint.signatures import rejected

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


# Fixes never break code: over every rule's INVALID examples and generated programs (plain
# and with Keras 1/2 API mixed in), the fixed code re-parses, re-lints without a new or
# still-fixable KG005 on a call a KG005 fix changed, and every keyword a fix writes exists in
# the generated signature table.


def _keywords(source: str) -> set[tuple[int, str, str]]:
    """(line, callee, keyword) for every keyword of a Keras class or model method call."""
    module = cst.parse_module(source)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    facts = extract(module)
    calls = [(i.call, i.qualname) for i in facts.instances]
    calls += [
        (s.node, f"keras.Model.{s.method}") for s in facts.calls if isinstance(s.receiver, Model)
    ]
    found = set()
    for call, qualname in calls:
        for arg in call.args:
            if arg.keyword is not None:
                found.add((positions[arg].start.line, qualname, arg.keyword.value))
    return found


def assert_fixes_hold(source: str) -> None:
    _, before = analyze(source, RULES)
    fixed, count = apply_fixes(source, RULES, unsafe=True)
    if count == 0:
        return
    compile(fixed, "<fixed>", "exec")  # re-parses
    _, after = analyze(fixed, RULES)
    # On a call a KG005 fix changed, only KG005 findings that had no fix before remain (the
    # `decay=` the `lr=` fix leaves, whose finding says Keras 3 ignores it): nothing new.
    fixed_lines = {f.line for f in before if f.fix is not None and f.rule.CODE == "KG005"}
    unfixable = {(f.line, f.message) for f in before if f.fix is None and f.rule.CODE == "KG005"}
    remaining = {(f.line, f.message) for f in after if f.rule.CODE == "KG005"}
    assert not {r for r in remaining - unfixable if r[0] in fixed_lines}, remaining
    # A keyword the fixed call rejects, unless the original call rejected it already (a fix
    # that renames the callee, `fit_generator` -> `fit`, must rename its keywords too).
    already = {(line, k) for line, q, k in _keywords(source) if rejected(q, k) is not None}
    wrong = [
        (line, q, k)
        for line, q, k in _keywords(fixed)
        if rejected(q, k) is not None and (line, k) not in already
    ]
    assert not wrong, f"a fix wrote keywords Keras 3 rejects: {wrong}\n{fixed}"


def _invalid_examples():
    for rule in RULES:
        for index, example in enumerate(rule.INVALID):
            yield pytest.param(example.code, id=f"{rule.CODE}-{index}")


@pytest.mark.parametrize("source", list(_invalid_examples()))
def test_fixes_of_invalid_examples_hold(source):
    assert_fixes_hold(source)


LEGACY = (
    "model.fit_generator(generator=gen, steps_per_epoch=10, epochs=2)",
    "model.fit_generator(gen, samples_per_epoch=1000, nb_epoch=2)",
    "model.fit_generator(gen, 10, 2, validation_data=val)",
    "model.evaluate_generator(generator=gen, steps=5)",
    "model.predict_generator(gen, steps=5, workers=2)",
    "model.fit(x, y, nb_epoch=3, batch_size=8)",
    "opt = keras.optimizers.Adam(lr=0.01, decay=1e-6)",
    "opt = keras.optimizers.SGD(lr=0.01, momentum=0.9, nesterov=True)",
    "extra = layers.Dense(output_dim=8, init='uniform', W_regularizer=None)",
    "extra = layers.Conv2D(nb_filter=8, kernel_size=3, border_mode='same', subsample=(1, 1))",
    "extra = layers.LSTM(8, dim_ordering='tf', inner_init='orthogonal')",
    "model.save('model.h5')\nrestored = keras.models.load_model('model.h5')",
    "model.save_weights('w.hdf5')\nmodel.load_weights('w.hdf5')",
    "WEIGHTS = 'w.h5'\nmodel.save_weights(WEIGHTS)\nmodel.load_weights(WEIGHTS)",
)


@st.composite
def legacy_program(draw) -> str:
    """A generated program (keras-style imports) with Keras 1/2 calls appended."""
    base = draw(keras_program())
    if not base.startswith("import keras\nfrom keras import layers"):
        base = "import keras\nfrom keras import layers\n" + base
    extra = draw(st.lists(st.sampled_from(LEGACY), min_size=1, max_size=4, unique=True))
    return base + "\n".join(extra) + "\n"


@settings(max_examples=25, deadline=None)
@given(legacy_program())
def test_fixes_of_generated_programs_hold(source):
    assert_fixes_hold(source)
