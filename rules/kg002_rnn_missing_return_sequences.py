from __future__ import annotations

import libcst as cst

from kgen.lint.fix import set_keyword
from kgen.lint.layers import RNN_LAYERS, TIME_PRESERVING
from kgen.lint.models import DEFAULT, Const, Instance, Node
from kgen.lint.rule import Fix, Invalid, Report, Rule


def _recurrent(node: Node) -> Instance | None:
    """The recurrent layer a node applies (the inner one for `Bidirectional`), if any."""
    if node.kind != "layer":
        return None
    layer = node.layer
    if layer.kind == "Bidirectional":
        layer = layer.wrapped
    return layer if layer is not None and layer.kind in RNN_LAYERS else None


def _next_recurrent(node: Node, consumers: dict[int, list[Node]]) -> Instance | None:
    """The next RNN fed by `node`, directly or through layers that keep the time axis."""
    pending = list(consumers.get(id(node), ()))
    seen: set[int] = set()
    while pending:
        consumer = pending.pop()
        if id(consumer) in seen:
            continue
        seen.add(id(consumer))
        recurrent = _recurrent(consumer)
        if recurrent is not None:
            return recurrent
        if consumer.kind == "layer" and consumer.layer.kind in TIME_PRESERVING:
            pending.extend(consumers.get(id(consumer), ()))
    return None


class RnnMissingReturnSequences(Rule):
    """
    ## What it does
    Finds a recurrent layer (`SimpleRNN`, `GRU`, `LSTM`, `ConvLSTM1D/2D/3D`, `RNN`, also inside
    `Bidirectional`) whose output feeds another recurrent layer, directly or through layers
    that keep the time axis (`Dropout`, `BatchNormalization`, `LayerNormalization`, ...),
    without `return_sequences=True`. Sequential lists, `.add()` chains and functional graphs
    are all followed; a `return_sequences` given by a variable is left alone.

    ## Why is this bad?
    Without `return_sequences=True` an RNN returns only its last output, a 2-D tensor
    `(batch, units)`. The next RNN needs the 3-D sequence `(batch, timesteps, features)`, so the
    model fails to build with an `ndim` error (or, with a `Reshape` in between, silently sees a
    one-step sequence). Every RNN in a stack except the last must return sequences.

    ## Example
    ```python
    model = keras.Sequential([
        keras.Input(shape=(None, 8)),
        layers.LSTM(64),
        layers.LSTM(32),
        layers.Dense(1),
    ])
    ```

    ## Use instead
    ```python
    model = keras.Sequential([
        keras.Input(shape=(None, 8)),
        layers.LSTM(64, return_sequences=True),
        layers.LSTM(32),
        layers.Dense(1),
    ])
    ```

    ## Fix safety
    The fix adds `return_sequences=True` (or turns `False` into `True`) on the flagged layer.
    It is safe: the model as written cannot build, and returning the sequence is the only
    shape the next recurrent layer accepts.
    """

    CODE = "KG002"
    NAME = "rnn-missing-return-sequences"
    SEVERITY = "error"
    SUMMARY = "An RNN feeding another RNN does not return sequences"
    FIX = "safe"

    def check(self, facts):
        for model in facts.models:
            consumers = model.consumers()
            for node in model.nodes():
                layer = _recurrent(node)
                if layer is None:
                    continue
                returns = layer.param("return_sequences")
                if returns is not DEFAULT and returns != Const(False):
                    continue  # True, or not known statically
                following = _next_recurrent(node, consumers)
                if following is None:
                    continue
                fixed = set_keyword(layer.call, "return_sequences", cst.Name("True"))
                yield Report(
                    layer.call,
                    f"{layer.kind} feeds another recurrent layer ({following.kind}) "
                    "but does not return sequences",
                    "every RNN in a stack but the last needs return_sequences=True",
                    Fix("add return_sequences=True", True, ((layer.call, fixed),)),
                )

    VALID = (
        # A correct stack: every RNN but the last returns sequences.
        """
import keras
from keras import layers
model = keras.Sequential([
    keras.Input(shape=(None, 8)),
    layers.LSTM(64, return_sequences=True),
    layers.LSTM(32),
    layers.Dense(1),
])
""",
        # Tagging: the last RNN returns sequences on purpose.
        """
from keras import layers as L, Input, Model
inputs = Input(shape=(None,), dtype="int32")
x = L.Embedding(10000, 64)(inputs)
x = L.Bidirectional(L.GRU(64, return_sequences=True))(x)
x = L.Bidirectional(L.GRU(64, return_sequences=True))(x)
outputs = L.TimeDistributed(L.Dense(9, activation="softmax"))(x)
model = Model(inputs, outputs)
""",
        # A single RNN for sequence classification.
        """
import tensorflow as tf
model = tf.keras.Sequential()
model.add(tf.keras.layers.Embedding(5000, 32))
model.add(tf.keras.layers.LSTM(100))
model.add(tf.keras.layers.Dense(1, activation="sigmoid"))
""",
        # Seq2seq autoencoder: RepeatVector rebuilds a sequence from the last state.
        """
from keras.models import Sequential
from keras.layers import LSTM, RepeatVector, TimeDistributed, Dense
model = Sequential([
    LSTM(128, input_shape=(30, 1)),
    RepeatVector(30),
    LSTM(128, return_sequences=True),
    TimeDistributed(Dense(1)),
])
""",
        # return_sequences given by a parameter: unknown, silent.
        """
import keras
from keras import layers

def rnn_block(x, units, last):
    return layers.GRU(units, return_sequences=not last)(x)

def build(num_layers):
    model = keras.Sequential([keras.Input(shape=(None, 4))])
    for i in range(num_layers):
        model.add(layers.LSTM(32, return_sequences=i < num_layers - 1))
    model.add(layers.LSTM(16))
    return model
""",
        # Two independent branches, each with a single RNN, merged after.
        """
import keras
from keras import layers
inputs = keras.Input(shape=(None, 16))
a = layers.LSTM(32)(inputs)
b = layers.GRU(32)(inputs)
merged = layers.Concatenate()([a, b])
outputs = layers.Dense(1)(merged)
model = keras.Model(inputs, outputs)
""",
        # Stacked with Dropout in between, done right; keras.layers via tensorflow.keras.
        """
from tensorflow.keras import layers, models
model = models.Sequential([
    layers.Input((100, 3)),
    layers.SimpleRNN(32, return_sequences=True),
    layers.Dropout(0.2),
    layers.SimpleRNN(32),
])
""",
        # ConvLSTM2D stack done right.
        """
import keras
from keras import layers
model = keras.Sequential([
    keras.Input(shape=(None, 40, 40, 1)),
    layers.ConvLSTM2D(40, (3, 3), padding="same", return_sequences=True),
    layers.BatchNormalization(),
    layers.ConvLSTM2D(40, (3, 3), padding="same", return_sequences=True),
    layers.Conv3D(1, (3, 3, 3), activation="sigmoid", padding="same"),
])
""",
        # An RNN followed by a Dense on its last state, then an unrelated RNN in another model.
        """
import keras
from keras import layers
encoder = keras.Sequential([layers.LSTM(64), layers.Dense(16)])
decoder = keras.Sequential([layers.RepeatVector(10), layers.LSTM(64, return_sequences=True)])
""",
        # Encoder state handed to a decoder via return_state: not a stack.
        """
import keras
from keras import layers
encoder_inputs = keras.Input(shape=(None, 71))
_, state_h, state_c = layers.LSTM(256, return_state=True)(encoder_inputs)
decoder_inputs = keras.Input(shape=(None, 93))
decoder_outputs = layers.LSTM(256, return_sequences=True)(decoder_inputs, initial_state=[state_h, state_c])
model = keras.Model([encoder_inputs, decoder_inputs], layers.Dense(93, activation="softmax")(decoder_outputs))
""",
        # Star import, stacked done right, with a custom layer between (unknown: silent).
        """
from keras.layers import *
from keras import Sequential
model = Sequential([Input((None, 8)), GRU(32), MyExpandLayer(), GRU(16)])
""",
    )

    INVALID = (
        Invalid(
            """
import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(None, 8)), layers.LSTM(64), layers.LSTM(32), layers.Dense(1)])
""",
            """
import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(None, 8)), layers.LSTM(64, return_sequences=True), layers.LSTM(32), layers.Dense(1)])
""",
        ),
        # Through Dropout, with .add(); the first GRU says False explicitly.
        Invalid(
            """
from keras.models import Sequential
from keras.layers import GRU, Dropout, Dense
model = Sequential()
model.add(GRU(64, input_shape=(50, 3), return_sequences=False))
model.add(Dropout(0.2))
model.add(GRU(32))
model.add(Dense(1))
""",
            """
from keras.models import Sequential
from keras.layers import GRU, Dropout, Dense
model = Sequential()
model.add(GRU(64, input_shape=(50, 3), return_sequences=True))
model.add(Dropout(0.2))
model.add(GRU(32))
model.add(Dense(1))
""",
        ),
        # Functional, inside Bidirectional, alias L.
        Invalid(
            """
from keras import layers as L
import keras
inputs = keras.Input(shape=(None,), dtype="int64")
x = L.Embedding(20000, 128)(inputs)
x = L.Bidirectional(L.LSTM(64))(x)
x = L.Bidirectional(L.LSTM(64))(x)
outputs = L.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs)
""",
            """
from keras import layers as L
import keras
inputs = keras.Input(shape=(None,), dtype="int64")
x = L.Embedding(20000, 128)(inputs)
x = L.Bidirectional(L.LSTM(64, return_sequences=True))(x)
x = L.Bidirectional(L.LSTM(64))(x)
outputs = L.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs)
""",
        ),
        # The generic RNN layer over a cell.
        Invalid(
            """
import keras
from keras import layers
model = keras.Sequential([layers.RNN(layers.LSTMCell(32)), layers.RNN(layers.GRUCell(16))])
""",
            """
import keras
from keras import layers
model = keras.Sequential([layers.RNN(layers.LSTMCell(32), return_sequences=True), layers.RNN(layers.GRUCell(16))])
""",
        ),
        # A multi-line call with a trailing comma keeps its layout.
        Invalid(
            """
import tensorflow as tf
model = tf.keras.Sequential([
    tf.keras.layers.LSTM(
        128,
        dropout=0.1,
    ),
    tf.keras.layers.LSTM(64),
])
""",
            """
import tensorflow as tf
model = tf.keras.Sequential([
    tf.keras.layers.LSTM(
        128,
        dropout=0.1,
        return_sequences=True,
    ),
    tf.keras.layers.LSTM(64),
])
""",
        ),
        # Three layers deep: both of the first two are flagged.
        Invalid(
            """
import keras
model = keras.Sequential([
    keras.layers.SimpleRNN(32, input_shape=(10, 1)),
    keras.layers.SimpleRNN(32),
    keras.layers.SimpleRNN(32),
])
""",
            """
import keras
model = keras.Sequential([
    keras.layers.SimpleRNN(32, input_shape=(10, 1), return_sequences=True),
    keras.layers.SimpleRNN(32, return_sequences=True),
    keras.layers.SimpleRNN(32),
])
""",
        ),
        # Built inside a function; through BatchNormalization and LayerNormalization.
        Invalid(
            """
import keras
from keras import layers

def build_model(timesteps, features):
    inputs = keras.Input(shape=(timesteps, features))
    x = layers.GRU(64)(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.LayerNormalization()(x)
    x = layers.GRU(32)(x)
    return keras.Model(inputs, layers.Dense(1)(x))
""",
            """
import keras
from keras import layers

def build_model(timesteps, features):
    inputs = keras.Input(shape=(timesteps, features))
    x = layers.GRU(64, return_sequences=True)(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.LayerNormalization()(x)
    x = layers.GRU(32)(x)
    return keras.Model(inputs, layers.Dense(1)(x))
""",
        ),
        # A shared RNN layer object feeding a second RNN.
        Invalid(
            """
import tensorflow.keras as K
encoder = K.layers.LSTM(32)
inputs = K.Input(shape=(20, 4))
x = encoder(inputs)
x = K.layers.LSTM(16)(x)
model = K.Model(inputs, x)
""",
            """
import tensorflow.keras as K
encoder = K.layers.LSTM(32, return_sequences=True)
inputs = K.Input(shape=(20, 4))
x = encoder(inputs)
x = K.layers.LSTM(16)(x)
model = K.Model(inputs, x)
""",
        ),
        # ConvLSTM2D stack.
        Invalid(
            """
from keras import layers, Sequential
model = Sequential([
    layers.ConvLSTM2D(40, (3, 3), padding="same", input_shape=(None, 40, 40, 1)),
    layers.ConvLSTM2D(40, (3, 3), padding="same"),
])
""",
            """
from keras import layers, Sequential
model = Sequential([
    layers.ConvLSTM2D(40, (3, 3), padding="same", input_shape=(None, 40, 40, 1), return_sequences=True),
    layers.ConvLSTM2D(40, (3, 3), padding="same"),
])
""",
        ),
        # Star import, tf_keras, LSTM then GRU.
        Invalid(
            """
from tf_keras.layers import *
from tf_keras.models import Sequential
model = Sequential([Embedding(1000, 16), LSTM(32), GRU(16), Dense(3, activation="softmax")])
""",
            """
from tf_keras.layers import *
from tf_keras.models import Sequential
model = Sequential([Embedding(1000, 16), LSTM(32, return_sequences=True), GRU(16), Dense(3, activation="softmax")])
""",
        ),
        # One RNN feeding two RNN branches.
        Invalid(
            """
import keras
from keras import layers
inputs = keras.Input(shape=(None, 12))
shared = layers.GRU(64)(inputs)
left = layers.GRU(32)(shared)
right = layers.LSTM(32)(shared)
model = keras.Model(inputs, [layers.Dense(1)(left), layers.Dense(1)(right)])
""",
            """
import keras
from keras import layers
inputs = keras.Input(shape=(None, 12))
shared = layers.GRU(64, return_sequences=True)(inputs)
left = layers.GRU(32)(shared)
right = layers.LSTM(32)(shared)
model = keras.Model(inputs, [layers.Dense(1)(left), layers.Dense(1)(right)])
""",
        ),
        # Stack inside a `with strategy.scope():` block, import aliased Dense-style.
        Invalid(
            """
import tensorflow as tf
from tensorflow.keras.layers import LSTM as Recurrent
strategy = tf.distribute.MirroredStrategy()
with strategy.scope():
    model = tf.keras.Sequential([Recurrent(64), Recurrent(64)])
""",
            """
import tensorflow as tf
from tensorflow.keras.layers import LSTM as Recurrent
strategy = tf.distribute.MirroredStrategy()
with strategy.scope():
    model = tf.keras.Sequential([Recurrent(64, return_sequences=True), Recurrent(64)])
""",
        ),
    )
