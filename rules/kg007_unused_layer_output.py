from __future__ import annotations

from kgen.lint.rule import Invalid, Report, Rule


def _model_inputs(facts) -> set[int]:
    return {
        id(node) for model in facts.models if model.kind == "functional" for node in model.inputs
    }


def _reaches(node, targets: set[int]) -> bool:
    """Whether a tensor is computed from one of these input tensors."""
    pending, seen = [node], set()
    while pending:
        current = pending.pop()
        if id(current) in targets:
            return True
        if id(current) not in seen:
            seen.add(id(current))
            pending.extend(current.inputs)
    return False


class UnusedLayerOutput(Rule):
    """
    ## What it does
    Finds a functional-API layer call whose output nothing uses: it is not passed to another
    layer or function, not read after it is assigned (or overwritten before it is read), and
    not a model output — a branch computed and dropped. Only tensors computed from the inputs
    of a `keras.Model(...)` in the file are checked; a value used anywhere the linter cannot
    follow (a lambda, a comprehension, an attribute, a container) counts as used.

    ## Why is this bad?
    Keras builds the model from its outputs back to its inputs: a layer whose output never
    reaches an output is silently left out of the model. The branch the author meant to
    concatenate, or the block whose result was overwritten by `x = layer(inputs)` instead of
    `layer(x)`, does not exist in the trained network.

    ## Example
    ```python
    x = layers.Dense(64, activation="relu")(inputs)
    branch = layers.Dense(32, activation="relu")(x)
    outputs = layers.Dense(1)(x)
    ```

    ## Use instead
    ```python
    x = layers.Dense(64, activation="relu")(inputs)
    branch = layers.Dense(32, activation="relu")(x)
    outputs = layers.Dense(1)(branch)
    ```

    ## Fix safety
    No fix: whether to wire the branch in or delete it is the author's call.
    """

    CODE = "KG007"
    NAME = "unused-layer-output"
    SEVERITY = "warning"
    SUMMARY = "A functional-API layer output that nothing consumes"

    def check(self, facts):
        inputs = _model_inputs(facts)
        if not inputs:
            return
        for node in facts.tensors:
            if node.used or node.kind != "layer" or not _reaches(node, inputs):
                continue
            yield Report(
                node.site,
                f"the output of this {node.layer.kind} layer is never used: "
                "it is not part of any model",
                "feed it to the next layer or to the model outputs, or remove it",
            )

    VALID = (
        """
import keras
from keras import layers
inputs = keras.Input(shape=(16,))
x = layers.Dense(32, activation="relu")(inputs)
outputs = layers.Dense(1)(x)
model = keras.Model(inputs, outputs)
""",
        # Branches concatenated.
        """
import keras
from keras import layers
inputs = keras.Input(shape=(64, 64, 1))
a = layers.Flatten()(layers.Conv2D(32, 4)(inputs))
b = layers.Flatten()(layers.Conv2D(16, 8)(inputs))
model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(layers.concatenate([a, b])))
""",
        # Outputs collected in a comprehension.
        """
import keras
from keras import layers
inputs = keras.Input(shape=(8,))
shared = layers.Dense(16, activation="relu")(inputs)
heads = [layers.Dense(1, name=name)(shared) for name in ("a", "b")]
model = keras.Model(inputs, heads)
""",
        # A loop over layers: the last value is used.
        """
import keras
from keras import layers
inputs = keras.Input(shape=(8,))
x = inputs
for units in (64, 32, 16):
    x = layers.Dense(units, activation="relu")(x)
model = keras.Model(inputs, layers.Dense(1)(x))
""",
        """
import keras
from keras import layers
def build(depth):
    inputs = keras.Input(shape=(8,))
    x = inputs
    for _ in range(depth):
        x = layers.Dense(32, activation="relu")(x)
    return keras.Model(inputs, layers.Dense(1)(x))
""",
        # An intermediate output used by a second (feature-extractor) model.
        """
import keras
from keras import layers
inputs = keras.Input(shape=(28, 28, 1))
features = layers.GlobalAveragePooling2D()(layers.Conv2D(8, 3)(inputs))
outputs = layers.Dense(10, activation="softmax")(features)
model = keras.Model(inputs, outputs)
extractor = keras.Model(inputs, features)
""",
        # Added as a loss / a metric: consumed by a call.
        """
import keras
from keras import layers, ops
inputs = keras.Input(shape=(8,))
x = layers.Dense(8)(inputs)
penalty = layers.Dense(1)(x)
model = keras.Model(inputs, x)
model.add_loss(ops.mean(penalty))
""",
        # Residual connection: the saved tensor is read later.
        """
import keras
from keras import layers
inputs = keras.Input(shape=(32, 32, 3))
x = layers.Conv2D(32, 3, padding="same")(inputs)
previous = x
x = layers.Conv2D(32, 3, padding="same")(x)
x = layers.add([x, previous])
model = keras.Model(inputs, x)
""",
        # A dict of outputs.
        """
import keras
from keras import layers
inputs = keras.Input(shape=(8,))
outputs = {}
outputs["score"] = layers.Dense(1)(inputs)
model = keras.Model(inputs, outputs)
""",
        # Layers applied outside any model (testing a layer on an array).
        """
import numpy as np
from keras import layers
y = layers.Dense(4)(np.zeros((2, 3)))
""",
        # Tuple unpacking of a recurrent layer's outputs and states.
        """
import keras
from keras import layers
inputs = keras.Input(shape=(None, 16))
x, state = layers.GRU(64, return_state=True)(inputs)
outputs = layers.Dense(1)(layers.concatenate([x, state]))
model = keras.Model(inputs, outputs)
""",
        # The classic seq2seq: the encoder's states start the decoder (initial_state=).
        """
import keras
from keras import layers
encoder_inputs = keras.Input(shape=(None, 71))
_, state_h, state_c = layers.LSTM(256, return_state=True)(encoder_inputs)
decoder_inputs = keras.Input(shape=(None, 93))
decoder_outputs, _, _ = layers.LSTM(256, return_sequences=True, return_state=True)(
    decoder_inputs, initial_state=[state_h, state_c]
)
decoder_outputs = layers.Dense(93, activation="softmax")(decoder_outputs)
model = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs)
""",
        # Augmented assignment: a residual added in place.
        """
import keras
from keras import layers
inputs = keras.Input(shape=(32, 32, 3))
x = layers.Conv2D(32, 3, padding="same")(inputs)
residual = x
x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
x += residual
model = keras.Model(inputs, layers.GlobalAveragePooling2D()(x))
""",
        # Sequential models have no dangling outputs.
        """
import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(8), layers.Dense(1)])
""",
    )

    INVALID = (
        Invalid("""
import keras
from keras import layers
inputs = keras.Input(shape=(16,))
x = layers.Dense(64, activation="relu")(inputs)
branch = layers.Dense(32, activation="relu")(x)
outputs = layers.Dense(1)(x)
model = keras.Model(inputs, outputs)
"""),
        # Overwritten before it is read: x = layer(inputs) instead of layer(x).
        Invalid("""
import keras
from keras import layers
inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(32, 3, activation="relu")(inputs)
x = layers.Conv2D(64, 3, activation="relu")(inputs)
model = keras.Model(inputs, layers.Dense(10)(layers.Flatten()(x)))
"""),
        # A second branch computed and forgotten in the concatenation.
        Invalid("""
import keras
from keras import layers
inputs = keras.Input(shape=(64, 64, 1))
a = layers.Flatten()(layers.Conv2D(32, 4)(inputs))
b = layers.Flatten()(layers.Conv2D(16, 8)(inputs))
c = layers.Flatten()(layers.Conv2D(8, 16)(inputs))
model = keras.Model(inputs, layers.Dense(1)(layers.concatenate([a, b])))
"""),
        # A bare expression statement.
        Invalid("""
import keras
from keras import layers
inputs = keras.Input(shape=(8,))
x = layers.Dense(8, activation="relu")(inputs)
layers.Dropout(0.5)(x)
model = keras.Model(inputs, layers.Dense(1)(x))
"""),
        # Built in a function.
        Invalid("""
import keras
from keras import layers
def build():
    inputs = keras.Input(shape=(100, 8))
    x = layers.LSTM(32, return_sequences=True)(inputs)
    y = layers.GlobalAveragePooling1D()(x)
    outputs = layers.Dense(1)(layers.GlobalMaxPooling1D()(x))
    return keras.Model(inputs, outputs)
"""),
        # tf.keras, auxiliary head left out of the outputs.
        Invalid("""
import tensorflow as tf
inputs = tf.keras.Input(shape=(32,))
x = tf.keras.layers.Dense(64, activation="relu")(inputs)
aux = tf.keras.layers.Dense(1, activation="sigmoid", name="aux")(x)
main = tf.keras.layers.Dense(1, activation="sigmoid", name="main")(x)
model = tf.keras.Model(inputs=inputs, outputs=main)
"""),
        # Multi-input: the second input's tower is never merged.
        Invalid("""
import keras
from keras import layers
image = keras.Input(shape=(32, 32, 3))
meta = keras.Input(shape=(4,))
x = layers.GlobalAveragePooling2D()(layers.Conv2D(16, 3)(image))
m = layers.Dense(8, activation="relu")(meta)
model = keras.Model([image, meta], layers.Dense(1)(x))
"""),
        # Normalization computed then the raw input used.
        Invalid("""
import keras
from keras import layers
inputs = keras.Input(shape=(180, 180, 3))
scaled = layers.Rescaling(1.0 / 255)(inputs)
x = layers.Conv2D(32, 3)(inputs)
model = keras.Model(inputs, layers.GlobalAveragePooling2D()(x))
"""),
        # Aliased layers module.
        Invalid("""
import keras
from keras import layers as L
inp = keras.Input(shape=(10,))
h = L.Dense(10)(inp)
h2 = L.BatchNormalization()(h)
model = keras.Model(inp, L.Dense(1)(h))
"""),
        # Unpacking does not hide a branch dropped after it.
        Invalid("""
import keras
from keras import layers
inputs = keras.Input(shape=(None, 16))
x, state = layers.GRU(64, return_state=True)(inputs)
gate = layers.Dense(64, activation="sigmoid")(state)
model = keras.Model(inputs, layers.Dense(1)(x))
"""),
        # An augmented assignment overwrites a branch nothing read.
        Invalid("""
import keras
from keras import layers
inputs = keras.Input(shape=(16,))
x = layers.Dense(16, activation="relu")(inputs)
skip = layers.Dense(16)(inputs)
x += layers.Dense(16)(x)
model = keras.Model(inputs, layers.Dense(1)(x))
"""),
        # Overwritten in a chain: the dropout result is replaced.
        Invalid("""
import keras
from keras import layers
inputs = keras.Input(shape=(20,))
x = layers.Dense(64, activation="relu")(inputs)
y = layers.Dropout(0.3)(x)
y = layers.Dense(32, activation="relu")(x)
model = keras.Model(inputs, layers.Dense(1)(y))
"""),
    )
