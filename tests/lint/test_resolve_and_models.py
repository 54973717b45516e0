"""Name resolution through imports and aliases, and model extraction, on their own."""

from __future__ import annotations

import libcst as cst
import pytest

from kgen.lint.models import Const, Model, extract
from kgen.lint.resolve import Ref, canonical


def facts_of(source: str):
    return extract(cst.parse_module(source))


@pytest.mark.parametrize(
    ("prelude", "expression"),
    [
        ("import keras", "keras.layers.Dense"),
        ("from keras import layers as L", "L.Dense"),
        ("import tensorflow.keras as K", "K.layers.Dense"),
        ("import tensorflow as tf", "tf.keras.layers.Dense"),
        ("from tensorflow import keras", "keras.layers.Dense"),
        ("from tensorflow.keras.layers import Dense as D", "D"),
        ("import tf_keras", "tf_keras.layers.Dense"),
        ("import tf_keras as tfk", "tfk.layers.Dense"),
        ("from keras.layers import *", "Dense"),
        ("import keras.layers", "keras.layers.Dense"),
        ("from keras.src.layers import Dense", "Dense"),
        ("from tensorflow.python.keras import layers", "layers.Dense"),
        ("def f():\n    pass\nfrom keras import layers", "layers.Dense"),
    ],
)
def test_every_spelling_resolves_to_keras(prelude, expression):
    scope = facts_of(f"{prelude}\nx = {expression}\n").scope
    assert scope.lookup("x") == Ref("keras.layers.Dense")


@pytest.mark.parametrize(
    "source",
    [
        "from keras.layers import *\nfrom mylib import *\nx = Dense",  # the last star may bind it
        "from keras.layers import *\nfrom kerastuner import *\nx = Dense",
        "from keras.layers import Dense\nDense = make_layer\nx = Dense",  # rebound
        "x = Dense",  # never imported
        "from . import layers\nx = layers.Dense",  # relative import: unknown package
    ],
)
def test_unknowable_names_stay_unknown(source):
    assert facts_of(source).scope.lookup("x") is None


def test_canonical_spellings():
    assert canonical("tensorflow.keras.losses.MeanSquaredError") == "keras.losses.MeanSquaredError"
    assert canonical("tensorflow.kerasx") == "tensorflow.kerasx"


def test_function_scope_imports_do_not_leak():
    facts = facts_of("def build():\n    from keras import layers\n    return layers\nx = layers\n")
    assert facts.scope.lookup("x") is None


def test_branches_merge_to_unknown_unless_equal():
    facts = facts_of(
        "if flag:\n    a = 1\n    b = 'mse'\nelse:\n    a = 2\n    b = 'mse'\nc = 3\n"
        "while more:\n    c = 4\n"
    )
    assert facts.scope.lookup("a") is None
    assert facts.scope.lookup("b") == Const("mse")
    assert facts.scope.lookup("c") is None


def test_sequential_grown_in_branches_joins_them_in_an_unknown_step():
    facts = facts_of(
        "import keras\n"
        "model = keras.Sequential([keras.layers.LSTM(8)])\n"
        "if deep:\n"
        "    model.add(keras.layers.LSTM(8))\n"
        "else:\n"
        "    model.add(keras.layers.GRU(8))\n"
        "model.add(keras.layers.Dense(1))\n"
    )
    [model] = facts.models
    kinds = [n.layer.kind if n.layer else n.kind for n in model.nodes()]
    assert kinds == ["input", "LSTM", "LSTM", "GRU", "opaque", "Dense"]


def test_one_line_bodies_are_walked():
    facts = facts_of(
        "import keras\n"
        "def build(): return keras.Sequential([keras.layers.Dense(1)])\n"
        "if True: model = build()\n"
        "else: model = build()\n"
        "model.compile(loss='mse')\n"
    )
    [model] = facts.models
    assert [c.loss for c in model.compiles] == [Const("mse")]


def test_sequential_add_chain_and_compile():
    facts = facts_of(
        "import keras\n"
        "model = keras.Sequential()\n"
        "model.add(keras.layers.Dense(8, input_shape=(4,)))\n"
        "for units in [16, 32]:\n"
        "    model.add(keras.layers.Dense(units))\n"
        "model.compile(loss='mse')\n"
    )
    [model] = facts.models
    kinds = [node.layer.kind if node.layer else node.kind for node in model.nodes()]
    assert kinds == ["input", "Dense", "Dense"]
    assert model.nodes()[0].shape.items == [Const(4)]
    assert [c.loss for c in model.compiles] == [Const("mse")]


def test_functional_model_built_in_a_function_and_compiled_outside():
    facts = facts_of(
        "import keras\n"
        "from keras import layers\n"
        "def build(n):\n"
        "    inputs = keras.Input(shape=(n,))\n"
        "    a = layers.Dense(1, name='score')(inputs)\n"
        "    b = layers.Dense(3, name='kind')(layers.Dropout(0.1)(inputs))\n"
        "    return keras.Model(inputs, {'s': a, 'k': b})\n"
        "model = build(4)\n"
        "model.compile(optimizer='adam', loss={'s': 'mse', 'k': 'categorical_crossentropy'})\n"
    )
    [model] = facts.models
    assert isinstance(facts.scope.lookup("model"), Model)
    assert [name for name, _ in model.outputs] == ["s", "k"]
    assert [n.layer.kind for n in model.nodes() if n.layer] == [
        "Dense",
        "Dropout",
        "Dense",
    ]
    assert len(model.compiles) == 1


def test_list_outputs_are_named_by_their_layers_and_sharing_is_one_node_per_call():
    facts = facts_of(
        "from keras import layers, Model, Input\n"
        "shared = layers.Dense(8)\n"
        "a, b = Input((4,)), Input((4,))\n"
        "merged = layers.Concatenate()([shared(a), shared(b)])\n"
        "model = Model([a, b], [layers.Dense(1, name='out')(merged), merged])\n"
    )
    [model] = facts.models
    assert [name for name, _ in model.outputs] == ["out", None]
    assert len(model.inputs) == 2
    assert sum(1 for n in model.nodes() if n.layer and n.layer.kind == "Dense") == 3


def test_subclassed_models_yield_no_model_and_unknown_layer_lists_an_unknown_start():
    facts = facts_of(
        "import keras\n"
        "class Net(keras.Model):\n"
        "    def call(self, x):\n"
        "        return self.dense(x)\n"
        "model = Net()\n"
        "model.compile(loss='mse')\n"
        "other = keras.Sequential(make_layers())\n"
        "other.add(keras.layers.Dense(1))\n"
    )
    [model] = facts.models
    assert [node.kind for node in model.nodes()] == ["input", "opaque", "layer"]


PASTED = """model = Sequential()
model.add(Dense(64, input_dim=8, activation="relu"))
model.add(Dense(3, activation="sigmoid"))
model.compile(loss="categorical_crossentropy", optimizer="adam")
"""


def test_a_file_without_imports_reads_the_usual_keras_names_as_keras():
    from kgen.lint.engine import analyze
    from kgen.lint.rule import all_rules

    _, findings = analyze(PASTED, list(all_rules()))
    assert "KG001" in [f.rule.CODE for f in findings]
    # One import, and names mean what the imports say: these Dense are unknown.
    _, findings = analyze("from mylib import Sequential\n" + PASTED, list(all_rules()))
    assert [f.rule.CODE for f in findings] == []
