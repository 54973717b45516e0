from __future__ import annotations

from kgen.lint.layers import activation_name
from kgen.lint.rule import Invalid, Report, Rule

# Layers that, between two Dense layers, leave their composition a linear map.
_LINEAR_BETWEEN = frozenset({"Dropout", "GaussianDropout", "AlphaDropout", "Identity"})


def _is_linear_dense(node) -> bool:
    if node.kind != "layer" or node.layer.kind != "Dense":
        return False
    return activation_name(node.layer.param("activation")) == "linear"


class LinearCollapse(Rule):
    """
    ## What it does
    Finds a `Dense` layer without activation whose output goes straight (or through `Dropout`)
    into another `Dense` layer, and nowhere else. A linear layer that is also a model output
    (the latent code of an encoder) is left alone, as is any activation not known statically.

    ## Why is this bad?
    Two affine maps in a row are one affine map: `W2 (W1 x + b1) + b2 = W x + b`. The first
    layer adds parameters and compute but no expressive power; the author almost always meant
    `activation="relu"` (or forgot an `Activation` layer after it).

    ## Example
    ```python
    x = layers.Dense(64)(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    ```

    ## Use instead
    ```python
    x = layers.Dense(64, activation="relu")(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    ```

    ## Fix safety
    No fix: which non-linearity is meant is the author's choice. A deliberate low-rank
    factorisation can be kept with `# noqa: KG013`.
    """

    CODE = "KG013"
    NAME = "linear-collapse"
    SEVERITY = "warning"
    SUMMARY = "Consecutive Dense layers with no activation between them"

    def check(self, facts):
        # An output of any model (an encoder's latent code) is used as it is, linear on purpose.
        outputs = {id(node) for model in facts.models for _, node in model.outputs if node}
        for model in facts.models:
            consumers = model.consumers()
            for node in model.nodes():
                if not _is_linear_dense(node) or id(node) in outputs:
                    continue
                following = consumers.get(id(node), [])
                while (
                    len(following) == 1
                    and following[0].kind == "layer"
                    and following[0].layer.kind in _LINEAR_BETWEEN
                ):
                    following = consumers.get(id(following[0]), [])
                if not following or len(consumers.get(id(node), [])) != 1:
                    continue
                if all(f.kind == "layer" and f.layer.kind == "Dense" for f in following):
                    yield Report(
                        node.layer.call,
                        "Dense layer without activation feeds another Dense layer: "
                        "the two collapse into one linear map",
                        'give the first Dense an activation (activation="relu")',
                    )

    VALID = (
        """
import keras
from keras import layers
inputs = keras.Input(shape=(20,))
x = layers.Dense(64, activation="relu")(inputs)
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs)
""",
        # Activation as its own layer.
        """
import keras
from keras import layers
model = keras.Sequential([
    keras.Input(shape=(20,)),
    layers.Dense(64),
    layers.Activation("relu"),
    layers.Dense(10, activation="softmax"),
])
""",
        # BatchNormalization then activation: the classic ordering.
        """
import keras
from keras import layers
model = keras.Sequential([
    keras.Input(shape=(20,)),
    layers.Dense(64, use_bias=False),
    layers.BatchNormalization(),
    layers.ReLU(),
    layers.Dense(1),
])
""",
        # A regression head: linear Dense then an inverted Normalization (kgen new's head).
        """
import keras
from keras import layers
inputs = keras.Input(shape=(8,))
x = layers.Dense(32, activation="relu")(inputs)
outputs = layers.Normalization(invert=True)(layers.Dense(1)(x))
model = keras.Model(inputs, outputs)
""",
        # The linear latent of an autoencoder is also the encoder's output.
        """
import keras
from keras import layers
inputs = keras.Input(shape=(784,))
latent = layers.Dense(2)(inputs)
encoder = keras.Model(inputs, latent)
decoded = layers.Dense(784, activation="sigmoid")(latent)
autoencoder = keras.Model(inputs, decoded)
""",
        # Unknown activation.
        """
import keras
from keras import layers
def mlp(act):
    return keras.Sequential([keras.Input(shape=(4,)), layers.Dense(8, activation=act), layers.Dense(1)])
""",
        # A linear Dense that feeds two branches is a shared projection, not a collapse.
        """
import keras
from keras import layers
inputs = keras.Input(shape=(16,))
proj = layers.Dense(32)(inputs)
a = layers.Dense(1, name="a")(proj)
b = layers.Dense(1, activation="sigmoid", name="b")(layers.ReLU()(proj))
model = keras.Model(inputs, [a, b])
""",
        # Dense then LayerNormalization then Dense: normalisation is not linear.
        """
import keras
from keras import layers
model = keras.Sequential([
    keras.Input(shape=(32,)),
    layers.Dense(64),
    layers.LayerNormalization(),
    layers.Dense(64, activation="gelu"),
])
""",
        """
import tensorflow as tf
model = tf.keras.Sequential([
    tf.keras.Input(shape=(10,)),
    tf.keras.layers.Dense(32, activation=tf.nn.relu),
    tf.keras.layers.Dense(1),
])
""",
        # Linear Dense into a Reshape and a conv decoder.
        """
import keras
from keras import layers
inputs = keras.Input(shape=(16,))
x = layers.Dense(7 * 7 * 64)(inputs)
x = layers.Reshape((7, 7, 64))(x)
outputs = layers.Conv2DTranspose(1, 3, padding="same", activation="sigmoid")(x)
model = keras.Model(inputs, outputs)
""",
        """
import keras
from keras import layers
x = layers.Dense(64)
y = layers.Dense(10)
""",
    )

    INVALID = (
        Invalid("""
import keras
from keras import layers
inputs = keras.Input(shape=(20,))
x = layers.Dense(64)(inputs)
outputs = layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs, outputs)
"""),
        Invalid("""
import keras
from keras import layers
model = keras.Sequential([
    keras.Input(shape=(20,)),
    layers.Dense(128),
    layers.Dense(64),
    layers.Dense(1),
])
"""),
        Invalid("""
import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(32, activation=None), layers.Dense(1)])
"""),
        Invalid("""
import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(32, activation="linear"), layers.Dense(1)])
"""),
        # Through Dropout.
        Invalid("""
import keras
from keras import layers
model = keras.Sequential([
    keras.Input(shape=(300,)),
    layers.Dense(256),
    layers.Dropout(0.5),
    layers.Dense(5, activation="softmax"),
])
"""),
        # .add() chain with tf.keras.
        Invalid("""
import tensorflow as tf
model = tf.keras.Sequential()
model.add(tf.keras.Input(shape=(12,)))
model.add(tf.keras.layers.Dense(16))
model.add(tf.keras.layers.Dense(1, activation="sigmoid"))
"""),
        # Bare imports.
        Invalid("""
from keras.models import Sequential
from keras.layers import Dense, Input
model = Sequential([Input(shape=(4,)), Dense(10), Dense(3, activation="softmax")])
"""),
        # Built in a function.
        Invalid("""
import keras
from keras import layers
def build_model(n_features):
    inputs = keras.Input(shape=(n_features,))
    x = layers.Dense(64, activation="relu")(inputs)
    x = layers.Dense(32)(x)
    return keras.Model(inputs, layers.Dense(1)(x))
"""),
        # Linear activation spelled as a function reference.
        Invalid("""
import keras
from keras import layers
model = keras.Sequential([
    keras.Input(shape=(4,)),
    layers.Dense(8, activation=keras.activations.linear),
    layers.Dense(2, activation="softmax"),
])
"""),
        # Positional units and a named layer.
        Invalid("""
import keras
from keras import layers as L
inputs = keras.Input(shape=(64,))
hidden = L.Dense(64, name="hidden")(inputs)
outputs = L.Dense(1, activation="sigmoid", name="out")(hidden)
model = keras.Model(inputs=inputs, outputs=outputs)
"""),
        # In a TimeDistributed-free sequence model after an LSTM.
        Invalid("""
import keras
from keras import layers
model = keras.Sequential([
    keras.Input(shape=(None, 8)),
    layers.LSTM(32),
    layers.Dense(16),
    layers.Dense(1),
])
"""),
    )
