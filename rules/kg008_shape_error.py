from __future__ import annotations

from kgen.heads import LINEAR
from kgen.lint.layers import ACTIVATION_LAYERS, RNN_LAYERS, TIME_PRESERVING
from kgen.lint.losses import loss_of, outputs_with_losses
from kgen.lint.models import Const, Seq
from kgen.lint.rule import Invalid, Report, Rule

# Between a classifier's Dense and the model output: layers that change nothing about shape.
_SHAPE_KEEPING = frozenset({"Dropout", "Activation", "Identity", *ACTIVATION_LAYERS})


def _shape_text(shape) -> str:
    return "(" + ", ".join(["None", *("None" if d is None else repr(d) for d in shape)]) + ")"


def _recurrent(node) -> bool:
    if node.kind != "layer":
        return False
    layer = node.layer.wrapped if node.layer.kind == "Bidirectional" else node.layer
    return layer is not None and layer.kind in RNN_LAYERS


def _after_rnn(node) -> bool:
    """An RNN fed by another RNN: a missing return_sequences, which KG002 reports (and fixes)."""
    if not _recurrent(node):
        return False
    while len(node.inputs) == 1:
        node = node.inputs[0]
        if _recurrent(node):
            return True
        if node.kind != "layer" or node.layer.kind not in TIME_PRESERVING:
            return False
    return False


class ShapeError(Rule):
    """
    ## What it does
    Runs the static shape inference behind `kgen summary` over each model whose input shape
    is written in the source, and reports what Keras would refuse or silently get wrong:
    a non-positive dimension (a kernel or pool larger than its input, too many stride-2
    layers), a rank a layer cannot take (`Conv2D` after `Flatten`, an RNN on a rank-2 input),
    a `Reshape` whose sizes do not add up, a `Concatenate`/`Add` of incompatible shapes, and a
    `Dense` classifier applied to a rank-4+ feature map (a missing `Flatten` or global pooling)
    that feeds a classification loss. Shapes taken from the data (`x_train.shape[1:]`) or from
    parameters are unknown, and unknown shapes are never reported. An RNN stacked on an RNN that
    does not return sequences is left to KG002, which fixes it.

    ## Why is this bad?
    Keras raises these only when the model is built, usually after the data is loaded. The
    `Dense`-on-a-feature-map case does not raise at all when the loss broadcasts: the model
    outputs one prediction per position instead of one per image.

    ## Example
    ```python
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Dense(10, activation="softmax"),
    ])
    ```

    ## Use instead
    ```python
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])
    ```

    ## Fix safety
    No fix: which layer is wrong, the input shape or the layer, is the author's call.
    """

    CODE = "KG008"
    NAME = "shape-error"
    SEVERITY = "error"
    SUMMARY = "A layer that cannot take its input's shape (found by static shape inference)"

    def check(self, facts):
        literal = (Seq, Const)
        if not any(isinstance(n.shape, literal) for m in facts.models for n in m.inputs):
            return  # no shape written in the source: nothing to infer (and no import to pay)
        from kgen.lint.shapes import infer

        for model in facts.models:
            results = infer(model)
            for result in results:
                if result.problem is not None and not _after_rnn(result.node):
                    yield Report(result.node.layer.call, result.problem)
            yield from self._dense_on_feature_maps(model, {id(r.node): r for r in results})

    @staticmethod
    def _dense_on_feature_maps(model, results):
        classified = set()
        for compiled in model.compiles:
            for _, node, value in outputs_with_losses(model, compiled.loss):
                loss = loss_of(value)
                if node is not None and loss is not None and loss[0].output != LINEAR:
                    classified.add(id(node))
        for _, node in model.outputs:
            if node is None or id(node) not in classified:
                continue
            while node.kind == "layer" and node.layer.kind in _SHAPE_KEEPING:
                node = node.inputs[0] if len(node.inputs) == 1 else None
                if node is None:
                    break
            if node is None or node.kind != "layer" or node.layer.kind != "Dense":
                continue
            parent = results.get(id(node.inputs[0])) if len(node.inputs) == 1 else None
            shape = parent.shape if parent is not None else None
            if shape is not None and len(shape) >= 3:
                yield Report(
                    node.layer.call,
                    f"Dense classifier on a rank-{len(shape) + 1} input {_shape_text(shape)} acts "
                    "on the last axis only: one prediction per position, not per sample",
                    "add Flatten() or GlobalAveragePooling2D() before the classifier",
                )

    VALID = (
        """
import keras
from keras import layers
model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(32, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Flatten(),
    layers.Dense(10, activation="softmax"),
])
model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
""",
        # The input shape comes from the data: unknown, so nothing to say.
        """
import keras
from keras import layers
def build(x_train):
    inputs = keras.Input(shape=x_train.shape[1:])
    x = layers.Conv2D(32, 7)(inputs)
    x = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, x)
""",
        # Same padding keeps small inputs alive.
        """
import keras
from keras import layers
inputs = keras.Input(shape=(4, 4, 8))
x = layers.Conv2D(16, 5, padding="same")(inputs)
x = layers.MaxPooling2D(padding="same")(x)
x = layers.MaxPooling2D(padding="same")(x)
x = layers.MaxPooling2D(padding="same")(x)
model = keras.Model(inputs, x)
""",
        # Variable-length sequences: None dimensions are fine.
        """
import keras
from keras import layers
inputs = keras.Input(shape=(None,), dtype="int64")
x = layers.Embedding(20000, 64)(inputs)
x = layers.Conv1D(64, 5, activation="relu")(x)
x = layers.GlobalMaxPooling1D()(x)
model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(x))
""",
        # Per-timestep tagging: Dense over a sequence is the point.
        """
import keras
from keras import layers
inputs = keras.Input(shape=(40,))
x = layers.Embedding(5000, 32)(inputs)
x = layers.LSTM(32, return_sequences=True)(x)
model = keras.Model(inputs, layers.Dense(9, activation="softmax")(x))
model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
""",
        # Concatenate along the last axis with matching leading dims.
        """
import keras
from keras import layers
a = keras.Input(shape=(10, 4))
b = keras.Input(shape=(10, 6))
model = keras.Model([a, b], layers.Concatenate()([a, b]))
""",
        # A regression head on a feature map (a dense prediction) is not a classifier.
        """
import keras
from keras import layers
inputs = keras.Input(shape=(32, 32, 3))
x = layers.Conv2D(8, 3, padding="same")(inputs)
model = keras.Model(inputs, layers.Dense(1)(x))
model.compile(loss="mse", optimizer="adam")
""",
        """
import keras
from keras import layers
model = keras.Sequential([
    keras.Input(shape=(100, 3)),
    layers.Conv1D(16, 3),
    layers.LSTM(8),
    layers.Dense(1),
])
""",
        # Reshape whose sizes add up, with -1.
        """
import keras
from keras import layers
inputs = keras.Input(shape=(784,))
x = layers.Reshape((28, 28, 1))(inputs)
x = layers.Reshape((-1, 28))(x)
model = keras.Model(inputs, x)
""",
        # Add with broadcasting over a size-1 axis.
        """
import keras
from keras import layers
a = keras.Input(shape=(8, 16))
b = keras.Input(shape=(1, 16))
model = keras.Model([a, b], layers.Add()([a, b]))
""",
        # The kgen new regression head.
        """
import keras
from keras import layers
inputs = keras.Input(shape=(8,))
x = layers.Dense(64, activation="relu")(inputs)
outputs = layers.Normalization(invert=True)(layers.Dense(1)(x))
model = keras.Model(inputs, outputs)
model.compile(loss="mse", optimizer="adam")
""",
    )

    INVALID = (
        # A kernel larger than its input.
        Invalid("""
import keras
from keras import layers
inputs = keras.Input(shape=(4, 4, 16))
x = layers.Conv2D(32, 5)(inputs)
model = keras.Model(inputs, x)
"""),
        # Pooling too many times.
        Invalid("""
import keras
from keras import layers
model = keras.Sequential([
    keras.Input(shape=(8, 8, 3)),
    layers.Conv2D(16, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Conv2D(32, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Flatten(),
])
"""),
        # Conv2D after Flatten.
        Invalid("""
import keras
from keras import layers
model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Flatten(),
    layers.Conv2D(32, 3),
])
"""),
        # An RNN on a rank-2 input.
        Invalid("""
import keras
from keras import layers
inputs = keras.Input(shape=(20,))
x = layers.Dense(32)(inputs)
x = layers.LSTM(16)(x)
model = keras.Model(inputs, x)
"""),
        # Dense classifier on a feature map: a missing Flatten.
        Invalid("""
import keras
from keras import layers
model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(32, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Dense(10, activation="softmax"),
])
model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
"""),
        Invalid("""
import tensorflow as tf
inputs = tf.keras.Input(shape=(64, 64, 3))
x = tf.keras.layers.Conv2D(16, 3)(inputs)
x = tf.keras.layers.Dropout(0.3)(x)
outputs = tf.keras.layers.Dense(1, activation="sigmoid")(x)
model = tf.keras.Model(inputs, outputs)
model.compile(loss="binary_crossentropy", optimizer="adam")
"""),
        # Concatenate of mismatched feature maps.
        Invalid("""
import keras
from keras import layers
inputs = keras.Input(shape=(32, 32, 3))
a = layers.Conv2D(16, 3)(inputs)
b = layers.Conv2D(16, 5)(inputs)
model = keras.Model(inputs, layers.Concatenate()([a, b]))
"""),
        # Reshape that does not add up.
        Invalid("""
import keras
from keras import layers
inputs = keras.Input(shape=(784,))
x = layers.Reshape((28, 27, 1))(inputs)
model = keras.Model(inputs, x)
"""),
        # Conv1D on images.
        Invalid("""
import keras
from keras import layers
IMAGE_SIZE = (64, 64)
inputs = keras.Input(shape=IMAGE_SIZE + (3,))
x = layers.Conv1D(32, 3)(inputs)
model = keras.Model(inputs, x)
"""),
        # Add of different widths.
        Invalid("""
import keras
from keras import layers
inputs = keras.Input(shape=(16,))
a = layers.Dense(32)(inputs)
b = layers.Dense(64)(inputs)
model = keras.Model(inputs, layers.Add()([a, b]))
"""),
        # Conv2D after global pooling, input_shape= on the first layer.
        Invalid("""
import keras
from keras import layers
model = keras.Sequential([
    layers.Conv2D(32, 3, input_shape=(32, 32, 3)),
    layers.GlobalAveragePooling2D(),
    layers.Conv2D(64, 3),
])
"""),
        # Valid-padded conv stack that runs out of pixels, sizes from constants.
        Invalid("""
import keras
from keras import layers
SIZE = 16
KERNEL = 7
inputs = keras.Input(shape=(SIZE, SIZE, 1))
x = layers.Conv2D(8, KERNEL)(inputs)
x = layers.Conv2D(8, KERNEL)(x)
x = layers.Conv2D(8, KERNEL)(x)
model = keras.Model(inputs, x)
"""),
    )
