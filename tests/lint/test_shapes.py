"""Shape inference without Keras: unknown stays unknown, nonsense never crashes the linter."""

from __future__ import annotations

import libcst as cst

from kgen.lint.models import extract
from kgen.lint.shapes import UNKNOWN, infer


def _shapes(source: str) -> list:
    facts = extract(cst.parse_module("import keras\nfrom keras import layers\n" + source))
    return [(r.kind, r.shape, r.params, r.problem) for r in infer(facts.models[-1])]


def test_shape_read_from_data_is_unknown_downstream():
    rows = _shapes("""
inputs = keras.Input(shape=x_train.shape[1:])
x = layers.Dense(16)(inputs)
model = keras.Model(inputs, layers.Dense(1)(x))
""")
    assert [shape for _, shape, _, _ in rows] == [None, None, None]
    assert all(problem is None for *_, problem in rows)


def test_unknown_dimension_is_not_a_guess():
    rows = _shapes("""
def build(n_features):
    inputs = keras.Input(shape=(None, n_features))
    return keras.Model(inputs, layers.LSTM(8, return_sequences=True)(inputs))
""")
    assert rows[0][1] == (None, UNKNOWN)
    assert rows[1][1] == (None, 8) and rows[1][2] is None  # weights depend on n_features


def test_nonsense_arguments_give_unknown_not_a_crash():
    rows = _shapes("""
inputs = keras.Input(shape=(10, 10, 3))
a = layers.Conv2D(8, 3, strides=0)(inputs)
b = layers.MaxPooling2D(pool_size=0)(inputs)
c = layers.Conv2D(8, -3)(inputs)
d = layers.Reshape((0, -1))(inputs)
model = keras.Model(inputs, [a, b, c, d])
""")
    by_kind = {kind: (shape, problem) for kind, shape, _, problem in rows}
    assert by_kind["Conv2D"] == (None, None) and by_kind["MaxPooling2D"] == (None, None)
    assert "Reshape" in by_kind["Reshape"][1]


def test_problems_are_found():
    rows = _shapes("""
inputs = keras.Input(shape=(4, 4, 3))
x = layers.Conv2D(8, 5)(inputs)
model = keras.Model(inputs, x)
""")
    assert "non-positive" in rows[1][3]


def test_generated_regression_head_keeps_shape_through_normalization():
    rows = _shapes("""
inputs = keras.Input(shape=(8,))
x = layers.Dense(16, activation="relu")(inputs)
outputs = layers.Normalization(invert=True)(layers.Dense(1)(x))
model = keras.Model(inputs, outputs)
""")
    assert rows[-1][:3] == ("Normalization", (1,), 3)  # adapt()'s mean, variance and count
