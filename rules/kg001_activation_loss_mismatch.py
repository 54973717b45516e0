from __future__ import annotations

from dataclasses import dataclass

from kgen.heads import LINEAR, SIGMOID, SOFTMAX, Loss
from kgen.lint.layers import (
    ACTIVATED_LAYERS,
    ACTIVATION_LAYERS,
    DENSE_LAYERS,
    VALUE_PRESERVING,
    activation_name,
    int_value,
)
from kgen.lint.losses import loss_of, outputs_with_losses
from kgen.lint.models import DEFAULT, Const, Instance, Node
from kgen.lint.rule import Invalid, Report, Rule
from kgen.lint.targets import trained_on

_FAMILY = {
    "sigmoid": SIGMOID,
    "hard_sigmoid": SIGMOID,
    "softmax": SOFTMAX,
    "linear": LINEAR,
}
# Activations that cannot produce what a probability loss expects.
_NOT_PROBABILITIES = frozenset(
    {"relu", "relu6", "leaky_relu", "prelu", "elu", "selu", "celu", "gelu", "silu", "mish", "tanh",
     "softplus", "softsign", "exponential", "log_softmax", "hard_silu", "hard_tanh", "soft_shrink"}
)  # fmt: skip
_HEAD = {
    SIGMOID: 'activation="sigmoid"',
    SOFTMAX: 'activation="softmax"',
}


@dataclass(frozen=True)
class _Head:
    activation: str
    units: int | None
    carrier: Instance  # the layer that applies the activation: where the finding points
    source_kind: str | None  # the layer that computes the values being activated


def _output_head(node: Node | None) -> _Head | None:
    """The activation a model output ends with, looking through value-preserving layers and
    into a nested model's single output (a Sequential of sub-models, a GAN)."""
    while node is not None and node.kind == "model" and len(node.model.outputs) == 1:
        node = node.model.outputs[0][1]
    while node is not None and node.kind == "layer":
        layer = node.layer
        if layer.kind == "TimeDistributed":
            layer = layer.wrapped
            if layer is None:
                return None
        kind = layer.kind
        if kind in VALUE_PRESERVING:
            node = node.inputs[0] if len(node.inputs) == 1 else None
            continue
        if kind in ACTIVATED_LAYERS:
            activation = activation_name(layer.param("activation"))
            if activation is None:
                return None
            width = layer.param("units" if kind in DENSE_LAYERS else "filters")
            return _Head(activation, int_value(width), layer, kind)
        if kind == "Activation" or kind in ACTIVATION_LAYERS:
            activation = (
                activation_name(layer.param("activation"))
                if kind == "Activation"
                else ACTIVATION_LAYERS[kind]
            )
            if activation is None:
                return None
            units, source = None, None
            before = node.inputs[0] if len(node.inputs) == 1 else None
            if (
                before is not None
                and before.kind == "layer"
                and before.layer.kind in ACTIVATED_LAYERS
            ):
                source = before.layer.kind
                if (
                    source in DENSE_LAYERS
                    and activation_name(before.layer.param("activation")) == "linear"
                ):
                    units = int_value(before.layer.param("units"))
            if layer.param("axis") not in (DEFAULT, Const(-1)):
                units = None  # a softmax over another axis: the layer width says nothing
            return _Head(activation, units, layer, source)
        return None
    return None


def _problem(
    head: _Head, loss: Loss | None, from_logits: bool | None, unbounded: bool = False
) -> tuple[str, str] | None:
    """(message, hint) when the output activation and the loss (None: unknown) disagree;
    `unbounded`: the file shows the targets are real values outside [0, 1]."""
    act = head.activation
    if act == "softmax" and head.units == 1:  # wrong whatever the loss
        return (
            "softmax over a single unit always outputs 1.0: the model cannot learn",
            'for a binary output use activation="sigmoid" with binary_crossentropy',
        )
    if loss is None:
        return None
    wanted, family = loss.output, _FAMILY.get(act)
    if wanted == LINEAR:
        # Non-negative or bounded targets make relu/softplus/tanh heads legitimate; only a
        # probability head is surely wrong for a regression, and sigmoid only when the file
        # shows targets outside [0, 1] (a rate, a probability, pixels scaled to [0, 1] are
        # what sigmoid + mse is for).
        if act == "softmax" or (family == SIGMOID and unbounded):
            return (
                f"{act} output with regression loss {loss.name}: predictions are squashed into (0, 1)",
                "a regression head has no activation: remove it (or noqa if the targets are scaled to (0, 1))",
            )
        return None
    if family in (SIGMOID, SOFTMAX) and family != wanted:
        return (
            f"{act} output with {loss.name}, which expects a {wanted} output",
            _family_hint(wanted),
        )
    if from_logits is True and family in (SIGMOID, SOFTMAX):
        return (
            f"{act} output with {loss.name}(from_logits=True): the {act} is applied twice",
            "remove the activation (keep from_logits=True) or drop from_logits=True",
        )
    if from_logits is False and family == LINEAR:
        return (
            f"linear output with {loss.name}, which expects probabilities",
            f"add {_HEAD[wanted]} to the last layer, or build the loss with from_logits=True",
        )
    if from_logits is False and act in _NOT_PROBABILITIES:
        return (
            f"{act} output with {loss.name}, which expects probabilities",
            _family_hint(wanted),
        )
    return None


def _family_hint(wanted: str) -> str:
    if wanted == SIGMOID:
        return 'binary and multilabel outputs use activation="sigmoid" with binary_crossentropy'
    return 'single-label multiclass outputs use activation="softmax" with (sparse_)categorical_crossentropy'


class ActivationLossMismatch(Rule):
    """
    ## What it does
    Checks that each model output's activation suits the loss it is compiled with, per the
    head/loss table `kgen new` generates from (`kgen/heads.py`): sigmoid with binary
    crossentropy, softmax with (sparse) categorical crossentropy, no activation with regression
    losses, and a linear output with a probability loss only when the loss is built with
    `from_logits=True`. Multi-output models are checked output by output (losses as a list, or
    as a dict keyed by the output layer's `name=`).

    The last activation is found by looking through layers that do not change what kind of
    values an output holds (`Dropout`, `Reshape`, `Flatten`, `Normalization` including
    `invert=True`, `Rescaling`, ...), inside `TimeDistributed`, in a separate
    `Activation`/`Softmax` layer, and into a nested model that ends the outer one. Anything
    unknown (a variable activation, a loss built by a function, a subclassed model) is left
    alone.

    For regression losses only probability heads are flagged: `softmax` always, and
    `sigmoid`/`hard_sigmoid` only when the file shows the targets it is fitted on and they are
    real values outside [0, 1] (`keras.datasets.boston_housing`, `make_regression`,
    `fetch_california_housing`, `np.random.normal`). A sigmoid trained with `mse` on targets in
    [0, 1] (a rate, a probability, `np.random.random(...)` targets, an autoencoder
    reconstructing pixels scaled to [0, 1]) is right, and targets the file does not show could
    be either: silence, since a false alarm costs more than a miss. `relu`, `softplus` or
    `tanh` heads are not flagged on purpose: they are right for non-negative or bounded targets
    (counts, prices, normalised signals).

    ## Why is this bad?
    A mismatched head trains without any error and yields a useless model. A softmax over one
    unit always outputs 1.0; softmax with binary crossentropy makes the classes compete, so a
    multilabel model cannot predict two labels at once (while the binary accuracy Keras then
    reports looks high); sigmoid with categorical crossentropy ignores all but the true class; a
    linear output fed to a probability loss (without `from_logits=True`) gets clipped; a
    softmax/sigmoid output with `from_logits=True` applies the activation twice; ReLU or tanh
    cannot output probabilities; a softmax head cannot regress.

    ## Example
    ```python
    model = keras.Sequential([
        keras.Input(shape=(20,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    ```

    ## Use instead
    ```python
    model = keras.Sequential([
        keras.Input(shape=(20,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    ```

    ## Fix safety
    No fix is offered: whether the activation or the loss is wrong depends on the labels,
    which the linter cannot see.
    """

    CODE = "KG001"
    NAME = "activation-loss-mismatch"
    SEVERITY = "error"
    SUMMARY = "The output layer's activation does not suit the loss"

    def check(self, facts):
        for model in facts.models:
            for compiled in model.compiles:
                for name, node, value in outputs_with_losses(model, compiled.loss):
                    head = _output_head(node)
                    if head is None:
                        continue
                    unbounded = any(
                        labels.kind == "continuous" for labels in trained_on(facts, model, name)
                    )
                    problem = _problem(head, *(loss_of(value) or (None, None)), unbounded)
                    if problem is not None:
                        message, hint = problem
                        if len(model.outputs) > 1 and name:
                            message = f"output {name!r}: {message}"
                        if node.kind == "model":
                            # The layer is in a nested model, maybe compiled right on its own:
                            # name the compile() that pairs it with this loss.
                            call = facts.module.code_for_node(compiled.call.func)
                            message = f"in {call}(): {message}"
                        yield Report(head.carrier.call, message, hint)

    VALID = (
        # The keras.io MLP: softmax head, integer labels.
        """
import keras
from keras import layers

def build_model(num_features, num_classes):
    inputs = keras.Input(shape=(num_features,))
    x = layers.Dense(64, activation="relu")(inputs)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)

model = build_model(20, 5)
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
""",
        # Linear head with from_logits=True.
        """
import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(128, activation="relu"), layers.Dense(10)])
model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
""",
        # Multilabel: sigmoid over many units with binary crossentropy.
        """
from tensorflow import keras
model = keras.Sequential()
model.add(keras.layers.Dense(256, activation="relu", input_shape=(1000,)))
model.add(keras.layers.Dense(40, activation="sigmoid"))
model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=[keras.metrics.AUC(multi_label=True)])
""",
        # kgen's regression head: linear Dense, then Normalization(invert=True) back to units.
        """
import keras
from keras import layers

def build_model(num_features, num_targets, target_normalizer):
    inputs = keras.Input(shape=(num_features,))
    x = layers.Dense(64, activation="relu")(inputs)
    x = layers.Dense(num_targets)(x)
    outputs = layers.Normalization(invert=True, mean=target_normalizer.mean, variance=target_normalizer.variance)(x)
    return keras.Model(inputs, outputs)

model = build_model(8, 1, normalizer)
model.compile(optimizer="adam", loss="mean_squared_error", metrics=[keras.metrics.MeanAbsoluteError(name="mae")])
""",
        # Separate Activation layer, tf.keras spelling, loss class without instantiation.
        """
import tensorflow as tf
model = tf.keras.Sequential([
    tf.keras.layers.Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)),
    tf.keras.layers.GlobalAveragePooling2D(),
    tf.keras.layers.Dense(10),
    tf.keras.layers.Activation("softmax"),
])
model.compile(optimizer="adam", loss=tf.keras.losses.CategoricalCrossentropy)
""",
        # Sequence tagging: return_sequences on the last RNN, TimeDistributed softmax.
        """
from keras import layers as L, Input, Model
inputs = Input(shape=(None,), dtype="int32")
x = L.Embedding(20000, 128)(inputs)
x = L.Bidirectional(L.LSTM(64, return_sequences=True))(x)
outputs = L.TimeDistributed(L.Dense(17, activation="softmax"))(x)
model = Model(inputs, outputs)
model.compile("adam", "sparse_categorical_crossentropy")
""",
        # Unknown activation (a parameter) and unknown loss (a variable): silent.
        """
import keras
from keras import layers

def make(head_activation, loss_fn):
    model = keras.Sequential([layers.Dense(32, activation="relu"), layers.Dense(1, activation=head_activation)])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    other = keras.Sequential([layers.Dense(1)])
    other.compile(optimizer="adam", loss=loss_fn)
    return model
""",
        # Multi-output functional model: losses keyed by output layer name.
        """
import keras
from keras import layers
inputs = keras.Input(shape=(64,))
x = layers.Dense(64, activation="relu")(inputs)
priority = layers.Dense(1, activation="sigmoid", name="priority")(x)
department = layers.Dense(4, activation="softmax", name="department")(x)
delay = layers.Dense(1, name="delay")(x)
model = keras.Model(inputs=inputs, outputs=[priority, department, delay])
model.compile(
    optimizer="rmsprop",
    loss={"priority": "binary_crossentropy", "department": "categorical_crossentropy", "delay": "mse"},
)
""",
        # Regression with a relu head: non-negative targets are legitimate.
        """
import keras
from keras.layers import Dense
model = keras.Sequential([Dense(32, activation="relu"), Dense(1, activation="relu")])
model.compile(optimizer="adam", loss="mae")
""",
        # Star import, loss from a module-level constant, binary sigmoid head.
        """
from keras.layers import *
from keras.models import Sequential
LOSS = "binary_crossentropy"
model = Sequential([Input(shape=(10,)), Dense(16, activation="relu"), Dropout(0.5), Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss=LOSS, metrics=["accuracy"])
""",
        # Sigmoid + mse on a rate in [0, 1] (targets visible in the file).
        """
import keras
import numpy as np
x = np.random.random((1000, 12))
y = np.random.random((1000, 1))
model = keras.Sequential([keras.Input(shape=(12,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
model.fit(x, y, epochs=5)
""",
        # hard_sigmoid + mse reconstructing pixels scaled to [0, 1] with a Dense decoder.
        """
import keras
from keras import layers
(x_train, _), (x_test, _) = keras.datasets.mnist.load_data()
x_train = x_train.reshape(-1, 784).astype("float32") / 255.0
inputs = keras.Input(shape=(784,))
code = layers.Dense(32, activation="relu")(inputs)
outputs = layers.Dense(784, activation="hard_sigmoid")(code)
autoencoder = keras.Model(inputs, outputs)
autoencoder.compile(optimizer="adam", loss="mse")
autoencoder.fit(x_train, x_train, epochs=5)
""",
        # Sigmoid + mse where the targets are not visible: silent.
        """
import keras
def build(n_features):
    model = keras.Sequential([keras.Input(shape=(n_features,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="mean_squared_error")
    return model
""",
        # Conv autoencoder reconstructing [0, 1] images with sigmoid + mse.
        """
import keras
from keras import layers
inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(32, 3, activation="relu", padding="same")(inputs)
x = layers.Conv2DTranspose(32, 3, activation="relu", padding="same")(x)
outputs = layers.Conv2D(1, 3, activation="sigmoid", padding="same")(x)
autoencoder = keras.Model(inputs, outputs)
autoencoder.compile(optimizer="adam", loss="mse")
""",
        # Loss as a list matched by position; tf_keras spelling.
        """
import tf_keras as K
inp = K.Input(shape=(32,))
a = K.layers.Dense(3, activation="softmax")(inp)
b = K.layers.Dense(1)(inp)
model = K.Model(inp, [a, b])
model.compile(optimizer="adam", loss=["categorical_crossentropy", K.losses.Huber()])
""",
        # Heads added in the two branches of an if: only one of them exists at run time.
        """
import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(32,)), layers.Dense(64, activation="relu")])
if MULTILABEL:
    model.add(layers.Dense(10, activation="sigmoid"))
else:
    model.add(layers.Dense(10, activation="softmax"))
model.compile(optimizer="adam", loss="binary_crossentropy")
""",
        # A classifier head that is itself a model, nested in a Sequential.
        """
import keras
from keras import layers
backbone = keras.Sequential([keras.Input((64,)), layers.Dense(32, activation="relu")])
head = keras.Sequential([layers.Dense(5, activation="softmax")])
model = keras.Sequential([backbone, head])
model.compile(optimizer="adam", loss="categorical_crossentropy")
""",
        # The activation of a branch taken conditionally is unknown: silent.
        """
import keras
from keras import layers
if MULTILABEL:
    head = layers.Dense(10, activation="sigmoid")
else:
    head = layers.Dense(10, activation="softmax")
inputs = keras.Input(shape=(20,))
model = keras.Model(inputs, head(inputs))
model.compile(optimizer="adam", loss="binary_crossentropy")
""",
    )

    INVALID = (
        # Softmax on a single unit.
        Invalid("""
import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(20,)), layers.Dense(16, activation="relu"), layers.Dense(1, activation="softmax")])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
"""),
        # Multilabel with softmax + binary crossentropy (functional, inside a function).
        Invalid("""
import keras
from keras import layers

def build_model(num_classes):
    inputs = keras.Input(shape=(300,))
    x = layers.Dense(128, activation="relu")(inputs)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model
"""),
        # Sigmoid with categorical crossentropy; `.add()` API; alias L.
        Invalid("""
from keras import layers as L
from keras.models import Sequential
model = Sequential()
model.add(L.Dense(64, activation="relu", input_shape=(100,)))
model.add(L.Dense(5, activation="sigmoid"))
model.compile(loss="categorical_crossentropy", optimizer="sgd")
"""),
        # Softmax output with from_logits=True: the softmax is applied twice.
        Invalid("""
import tensorflow as tf
model = tf.keras.models.Sequential([
    tf.keras.layers.Flatten(input_shape=(28, 28)),
    tf.keras.layers.Dense(128, activation="relu"),
    tf.keras.layers.Dense(10, activation="softmax"),
])
loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
model.compile(optimizer="adam", loss=loss_fn, metrics=["accuracy"])
"""),
        # Linear output with a probability loss and no from_logits.
        Invalid("""
import tensorflow.keras as K
model = K.Sequential([K.layers.Dense(64, activation="relu"), K.layers.Dense(10)])
model.compile(optimizer="adam", loss=K.losses.SparseCategoricalCrossentropy())
"""),
        # ReLU on a probability output.
        Invalid("""
from keras.models import Sequential
from keras.layers import Dense as D
model = Sequential([D(12, input_dim=8, activation="relu"), D(1, activation="relu")])
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
"""),
        # Softmax head on a regression, through Dropout.
        Invalid("""
import keras
from keras import layers
model = keras.Sequential([
    keras.Input(shape=(13,)),
    layers.Dense(64, activation="relu"),
    layers.Dense(3, activation="softmax"),
    layers.Dropout(0.1),
])
model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
"""),
        # Sigmoid Dense head on a regression loss object.
        Invalid("""
import keras
(x_train, y_train), (x_test, y_test) = keras.datasets.california_housing.load_data()
inputs = keras.Input(shape=(8,))
x = keras.layers.Dense(32, activation="relu")(inputs)
price = keras.layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs=inputs, outputs=price)
model.compile(optimizer="adam", loss=keras.losses.MeanSquaredError())
model.fit(x_train, y_train, epochs=10)
"""),
        # hard_sigmoid on targets drawn from a normal distribution.
        Invalid("""
import keras
import numpy as np
from sklearn.datasets import make_regression
X, y = make_regression(n_samples=1000, n_features=10, noise=0.5)
model = keras.Sequential([keras.Input(shape=(10,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(1, activation="hard_sigmoid")])
model.compile(optimizer="adam", loss="mse")
model.fit(X, y, epochs=10)
"""),
        # Multi-output: the dict loss puts categorical crossentropy on a sigmoid output.
        Invalid("""
import keras
from keras import layers
inputs = keras.Input(shape=(64,))
x = layers.Dense(64, activation="relu")(inputs)
priority = layers.Dense(1, activation="sigmoid", name="priority")(x)
department = layers.Dense(4, activation="sigmoid", name="department")(x)
model = keras.Model(inputs=inputs, outputs=[priority, department])
model.compile(optimizer="rmsprop", loss={"priority": "binary_crossentropy", "department": "categorical_crossentropy"})
"""),
        # A separate Activation("sigmoid") layer with sparse categorical crossentropy; constant loss.
        Invalid("""
import keras
from keras import layers
LOSS = "sparse_categorical_crossentropy"
model = keras.Sequential([layers.Dense(10), layers.Activation("sigmoid")])
model.compile(optimizer="adam", loss=LOSS)
"""),
        # tanh output, loss function passed by reference.
        Invalid("""
import keras
from keras import layers
model = keras.Sequential([layers.Dense(32, activation="relu"), layers.Dense(1, activation="tanh")])
model.compile(optimizer="adam", loss=keras.losses.binary_crossentropy)
"""),
        # Sigmoid + BinaryCrossentropy(from_logits=True), star import.
        Invalid("""
from keras.layers import *
from keras import Model, losses
inputs = Input(shape=(100,))
outputs = Dense(1, activation="sigmoid")(Dense(8, activation="relu")(inputs))
model = Model(inputs, outputs)
model.compile(optimizer="adam", loss=losses.BinaryCrossentropy(from_logits=True))
"""),
        # A GAN: the combined model ends with the logits discriminator, compiled without logits.
        Invalid("""
import keras
from keras import layers
generator = keras.Sequential([keras.Input((128,)), layers.Dense(784, activation="sigmoid")])
discriminator = keras.Sequential([keras.Input((784,)), layers.Dense(64, activation="relu"), layers.Dense(1)])
discriminator.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True))
discriminator.trainable = False
gan = keras.Sequential([generator, discriminator])
gan.compile(optimizer="adam", loss="binary_crossentropy")
"""),
        # A model built in one function, compiled at module level; softmax via tf.nn.
        Invalid("""
import tensorflow as tf

def build():
    inputs = tf.keras.Input(shape=(4,))
    outputs = tf.keras.layers.Dense(1, activation=tf.nn.softmax)(inputs)
    return tf.keras.Model(inputs, outputs)

model = build()
model.compile(optimizer="adam", loss="binary_crossentropy")
"""),
    )
