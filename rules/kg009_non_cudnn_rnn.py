from __future__ import annotations

from kgen.lint.layers import activation_name
from kgen.lint.models import DEFAULT, Const
from kgen.lint.rule import Invalid, Report, Rule

_CUDNN_LAYERS = ("LSTM", "GRU")


def _slow_reasons(layer) -> list[str]:
    """The arguments that rule out the cuDNN kernel, as written; unknown values are not."""
    reasons = []
    for name, default in (("activation", "tanh"), ("recurrent_activation", "sigmoid")):
        value = layer.param(name)
        if value is DEFAULT:
            continue
        given = activation_name(value)
        if given is not None and given != default:
            reasons.append(f"{name}={given!r}")
    dropout = layer.param("recurrent_dropout")
    if isinstance(dropout, Const) and type(dropout.value) in (int, float) and dropout.value > 0:
        reasons.append(f"recurrent_dropout={dropout.value}")
    for name, fast in (("unroll", False), ("use_bias", True), ("reset_after", True)):
        value = layer.param(name)
        if name == "reset_after" and layer.kind != "GRU":
            continue
        if isinstance(value, Const) and isinstance(value.value, bool) and value.value != fast:
            reasons.append(f"{name}={value.value}")
    return reasons


class NonCudnnRnn(Rule):
    """
    ## What it does
    Finds `LSTM` and `GRU` layers built with an argument that rules out the fused cuDNN kernel:
    an `activation` other than `tanh`, a `recurrent_activation` other than `sigmoid`,
    `recurrent_dropout` above 0, `unroll=True`, `use_bias=False`, or (GRU) `reset_after=False`.
    Values not known statically are left alone.

    ## Why is this bad?
    On a GPU with the TensorFlow backend, Keras runs LSTM/GRU with the cuDNN kernel only when
    every one of those arguments has its default. Any other value silently falls back to a
    generic loop that is often 3-10x slower. The model is correct; training just takes longer.

    ## Example
    ```python
    layers.LSTM(64, activation="relu", recurrent_dropout=0.2)
    ```

    ## Use instead
    ```python
    layers.LSTM(64)  # regularise with dropout= or a Dropout layer instead of recurrent_dropout
    ```

    ## Fix safety
    No fix: changing an activation or dropping recurrent dropout changes the model. Suppress
    a deliberate choice with `# noqa: KG009`.
    """

    CODE = "KG009"
    NAME = "non-cudnn-rnn"
    SEVERITY = "warning"
    SUMMARY = "LSTM/GRU arguments that disable the fast cuDNN kernel"

    def check(self, facts):
        for layer in facts.instances:
            if layer.kind not in _CUDNN_LAYERS:
                continue
            reasons = _slow_reasons(layer)
            if reasons:
                yield Report(
                    layer.call,
                    f"{layer.kind} with {', '.join(reasons)} cannot use the cuDNN kernel "
                    "(much slower on GPU)",
                    "keep the defaults (tanh, sigmoid, recurrent_dropout=0, unroll=False, "
                    "use_bias=True) for the fast kernel",
                )

    VALID = (
        """
import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(None, 8)), layers.LSTM(64), layers.Dense(1)])
""",
        """
from tensorflow.keras import layers
x = layers.GRU(32, dropout=0.2, return_sequences=True)
""",
        """
from keras import layers
x = layers.LSTM(64, activation="tanh", recurrent_activation="sigmoid")
""",
        """
from keras import layers
x = layers.LSTM(64, recurrent_dropout=0.0, unroll=False, use_bias=True)
""",
        """
from keras import layers
x = layers.GRU(64, reset_after=True)
""",
        # SimpleRNN has no cuDNN kernel at all: nothing to lose.
        """
from keras import layers
x = layers.SimpleRNN(64, activation="relu")
""",
        # Unknown values stay silent.
        """
from keras import layers
def block(act, rate):
    return layers.LSTM(64, activation=act, recurrent_dropout=rate)
""",
        """
import keras
from keras import layers
inputs = keras.Input(shape=(100,), dtype="int32")
x = layers.Embedding(20000, 128)(inputs)
x = layers.Bidirectional(layers.LSTM(64, return_sequences=True))(x)
x = layers.Bidirectional(layers.LSTM(64))(x)
""",
        """
from keras import activations, layers
x = layers.GRU(16, activation=activations.tanh)
""",
        """
import tensorflow as tf
x = tf.keras.layers.LSTM(32, dropout=0.3)
""",
        # A ConvLSTM is not a cuDNN layer.
        """
from keras import layers
x = layers.ConvLSTM2D(32, 3, activation="relu")
""",
    )

    INVALID = (
        Invalid("""
from keras import layers
x = layers.LSTM(64, activation="relu")
"""),
        Invalid("""
from keras import layers
x = layers.GRU(64, recurrent_dropout=0.2)
"""),
        Invalid("""
from keras import layers
x = layers.LSTM(32, unroll=True)
"""),
        Invalid("""
from keras import layers
x = layers.LSTM(32, use_bias=False)
"""),
        Invalid("""
from keras import layers
x = layers.GRU(32, reset_after=False)
"""),
        Invalid("""
from keras import layers
x = layers.LSTM(32, recurrent_activation="hard_sigmoid")
"""),
        # Inside Bidirectional, in a Sequential model.
        Invalid("""
import keras
from keras import layers
model = keras.Sequential([
    keras.Input(shape=(None, 16)),
    layers.Bidirectional(layers.LSTM(64, recurrent_dropout=0.25)),
    layers.Dense(1, activation="sigmoid"),
])
"""),
        # Positional activation, tf.keras.
        Invalid("""
import tensorflow as tf
x = tf.keras.layers.GRU(32, "relu")
"""),
        # From a module constant.
        Invalid("""
from keras import layers
RECURRENT_DROPOUT = 0.1
x = layers.LSTM(32, recurrent_dropout=RECURRENT_DROPOUT)
"""),
        # Built in a function, functional API.
        Invalid("""
import keras
from keras import layers
def build():
    inputs = keras.Input(shape=(50, 3))
    x = layers.LSTM(16, activation=None)(inputs)
    return keras.Model(inputs, layers.Dense(1)(x))
"""),
        Invalid("""
from keras.layers import LSTM as Recurrent
x = Recurrent(8, activation="sigmoid", unroll=True)
"""),
    )
