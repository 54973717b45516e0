from __future__ import annotations

from kgen.lint.layers import CONV_LAYERS, DENSE_LAYERS, RNN_LAYERS, int_value
from kgen.lint.models import Const, Instance
from kgen.lint.resolve import Ref
from kgen.lint.rule import Invalid, Report, Rule

_CONSTANT = frozenset({"zeros", "zero", "ones", "one", "constant"})


def _constant(value) -> bool:
    if isinstance(value, Const) and isinstance(value.value, str):
        return value.value.lower() in _CONSTANT
    if isinstance(value, (Ref, Instance)) and value.qualname.startswith("keras.initializers."):
        return value.qualname.rpartition(".")[2].lower() in _CONSTANT
    return False


class ConstantInitializer(Rule):
    """
    ## What it does
    Finds a hidden `Dense`, convolution or recurrent layer (one whose output feeds another
    layer of the model) with more than one unit whose `kernel_initializer=` or
    `recurrent_initializer=` is a constant: `"zeros"`, `"ones"`, `Constant(...)`. Output
    layers and single-unit layers are left alone (a zero-initialised linear or logistic head
    is fine), and so are biases, which are meant to start at zero.

    Evidence: "wrong weight initialisation" is a leaf of Humbatova et al.'s taxonomy (ICSE
    2020) and a Stack Overflow classic ("all my neurons learn the same thing"). False-alarm
    risk: very low; a constant kernel in a hidden layer with several units is symmetric by
    construction.

    ## Why is this bad?
    Every unit of the layer starts with the same weights, gets the same gradient and stays
    identical to the others forever: a 128-unit layer trains like a single unit. With zeros,
    the layers after it get no gradient signal at all (`relu(0) = 0`).

    ## Example
    ```python
    layers.Dense(128, activation="relu", kernel_initializer="zeros")
    ```

    ## Use instead
    ```python
    layers.Dense(128, activation="relu", kernel_initializer="he_normal")
    ```

    ## Fix safety
    No fix: the right random initialiser depends on the activation.
    """

    CODE = "KG021"
    NAME = "constant-initializer"
    SEVERITY = "warning"
    SUMMARY = "A hidden layer whose kernel starts constant (zeros/ones): its units stay identical"

    def check(self, facts):
        for model in facts.models:
            consumers = model.consumers()
            for node in model.nodes():
                layer = node.layer
                if node.kind != "layer" or not consumers.get(id(node)):
                    continue
                if layer.kind in DENSE_LAYERS or layer.kind in RNN_LAYERS:
                    width = int_value(layer.kwargs.get("units", layer.param("units")))
                elif layer.kind in CONV_LAYERS:
                    width = int_value(layer.param("filters"))
                else:
                    continue
                if width is None or width < 2:
                    continue
                for keyword in ("kernel_initializer", "recurrent_initializer"):
                    if _constant(layer.kwargs.get(keyword)):
                        yield Report(
                            layer.call,
                            f"{layer.kind} with {width} units and a constant {keyword}: "
                            "its units stay identical (symmetry is never broken)",
                            'use a random initializer (the default "glorot_uniform", '
                            'or "he_normal" before relu)',
                        )

    VALID = (
        """
import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(64, activation="relu"), layers.Dense(1)])
""",
        # A zero-initialised output layer (linear or logistic regression head) is fine.
        """
import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(64, activation="relu"), layers.Dense(1, kernel_initializer="zeros")])
""",
        """
import keras
from keras import layers
inputs = keras.Input(shape=(8,))
x = layers.Dense(32, activation="relu", kernel_initializer="he_normal", bias_initializer="zeros")(inputs)
model = keras.Model(inputs, layers.Dense(3, activation="softmax", kernel_initializer="zeros")(x))
""",
        # A single hidden unit.
        """
import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(1, kernel_initializer="ones"), layers.Activation("sigmoid")])
""",
        """
import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(32, 3, kernel_initializer="he_uniform"), layers.Flatten(), layers.Dense(10)])
""",
        """
import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(10, 4)), layers.LSTM(32, recurrent_initializer="orthogonal"), layers.Dense(1)])
""",
        # Unknown width.
        """
import keras
from keras import layers
def build(units):
    return keras.Sequential([keras.Input(shape=(8,)), layers.Dense(units, kernel_initializer="zeros"), layers.Dense(1)])
""",
        # A layer outside any model.
        """
from keras import layers
probe = layers.Dense(16, kernel_initializer="zeros")
""",
        """
import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(16, kernel_initializer=keras.initializers.GlorotNormal(seed=1)), layers.Dense(1)])
""",
        """
import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(16, bias_initializer=keras.initializers.Constant(0.1)), layers.Dense(1)])
""",
    )

    INVALID = (
        Invalid("""
import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(128, activation="relu", kernel_initializer="zeros"), layers.Dense(1)])
"""),
        Invalid("""
import keras
from keras import layers
inputs = keras.Input(shape=(8,))
x = layers.Dense(32, activation="tanh", kernel_initializer="ones")(inputs)
model = keras.Model(inputs, layers.Dense(1)(x))
"""),
        Invalid("""
import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(32, 3, kernel_initializer="zeros"), layers.Flatten(), layers.Dense(10)])
"""),
        Invalid("""
import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(10, 4)), layers.LSTM(32, recurrent_initializer="zeros"), layers.Dense(1)])
"""),
        Invalid("""
import keras
from keras import layers, initializers
model = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(16, kernel_initializer=initializers.Zeros()), layers.Dense(1)])
"""),
        Invalid("""
import keras
from keras import layers, initializers
model = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(16, kernel_initializer=initializers.Constant(0.5)), layers.Dense(1)])
"""),
        Invalid("""
from keras.models import Sequential
from keras.layers import Dense
model = Sequential()
model.add(Dense(64, input_dim=20, kernel_initializer="zero", activation="relu"))
model.add(Dense(1, activation="sigmoid"))
"""),
        Invalid("""
import tensorflow as tf
model = tf.keras.Sequential([tf.keras.Input(shape=(4,)), tf.keras.layers.Dense(8, kernel_initializer=tf.keras.initializers.zeros), tf.keras.layers.Dense(3)])
"""),
        Invalid("""
import keras
from keras import layers
INIT = "zeros"
def build():
    inputs = keras.Input(shape=(16,))
    h = layers.Dense(64, activation="relu", kernel_initializer=INIT)(inputs)
    h = layers.Dense(64, activation="relu")(h)
    return keras.Model(inputs, layers.Dense(1)(h))
"""),
        Invalid("""
import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(10, 4)), layers.GRU(16, kernel_initializer="ones", return_sequences=True), layers.GRU(8), layers.Dense(1)])
"""),
    )
