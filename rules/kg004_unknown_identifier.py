from __future__ import annotations

import libcst as cst

from kgen.lint.keras_identifiers import ACTIVATIONS, LOSSES, METRICS, OPTIMIZERS
from kgen.lint.models import Const, Mapping, Seq
from kgen.lint.resolve import Ref
from kgen.lint.rule import Invalid, Report, Rule, string_in

_KINDS = {
    "loss": LOSSES,
    "metric": METRICS,
    "optimizer": OPTIMIZERS,
    "activation": ACTIVATIONS,
}
# Calls that make more names known to Keras than the table holds.
_REGISTRIES = frozenset(
    {
        "get_custom_objects",
        "register_keras_serializable",
        "custom_object_scope",
        "CustomObjectScope",
    }
)
_GETTERS = {
    "keras.losses.get": "loss",
    "keras.metrics.get": "metric",
    "keras.optimizers.get": "optimizer",
    "keras.activations.get": "activation",
}


def _strings(value):
    """The string constants in a value: itself, or the items of a list/tuple/dict."""
    if isinstance(value, Const) and isinstance(value.value, str):
        yield value.value
    elif isinstance(value, Seq):
        for item in value.items:
            yield from _strings(item)
    elif isinstance(value, Mapping):
        for _, item in value.items:
            yield from _strings(item)


def _known(kind: str, text: str) -> bool:
    if kind == "optimizer":
        return text.lower() in OPTIMIZERS
    if kind == "metric" and text.lower() in ("accuracy", "acc"):
        return True  # compile() resolves these itself, in any case
    return text in _KINDS[kind]


def _suggestion(kind: str, text: str) -> str | None:
    import difflib  # only when there is a finding: it costs start-up time

    names = sorted(_KINDS[kind])
    if kind == "optimizer":
        text = text.lower()
    match = difflib.get_close_matches(text, names, n=1, cutoff=0.6)
    return match[0] if match else None


class UnknownIdentifier(Rule):
    """
    ## What it does
    Checks the string identifiers Keras resolves by name — the `loss`, `metrics` and
    `optimizer` of `compile()`, a layer's `activation`/`recurrent_activation`, and
    `keras.losses.get("...")` and its siblings — against the identifiers the installed Keras
    accepts, and suggests the closest known one. The table (`kgen/lint/keras_identifiers.py`)
    is generated from Keras itself by `python -m kgen.lint.gen_identifiers`.

    Files that register custom objects (`get_custom_objects()`,
    `register_keras_serializable`, `custom_object_scope`) are left alone: their names are
    not in any table.

    ## Why is this bad?
    Keras looks these strings up only when the model is compiled or built: a typo such as
    `"mena_squared_error"` or `"rellu"` fails with `ValueError: Could not interpret ...`
    after the data has been loaded, or in a notebook cell far from where it was written.

    ## Example
    ```python
    model.compile(optimizer="adamm", loss="mena_squared_error", metrics=["mae"])
    ```

    ## Use instead
    ```python
    model.compile(optimizer="adam", loss="mean_squared_error", metrics=["mae"])
    ```

    ## Fix safety
    No fix: the closest name is a guess, shown in the message for the author to confirm.
    """

    CODE = "KG004"
    NAME = "unknown-identifier"
    SEVERITY = "error"
    SUMMARY = "A loss, metric, optimizer or activation string Keras does not know"

    def check(self, facts):
        if any(site.method in _REGISTRIES for site in facts.calls):
            return  # custom objects registered by name: unknown strings may be theirs
        for model in facts.models:
            for compiled in model.compiles:
                for kind, value in (
                    ("loss", compiled.loss),
                    ("metric", compiled.metrics),
                    ("optimizer", compiled.optimizer),
                ):
                    yield from self._checked(kind, value, compiled.call)
        for instance in facts.instances:
            if not instance.kind:
                continue
            for name in ("activation", "recurrent_activation"):
                yield from self._checked("activation", instance.param(name), instance.call)
        for site in facts.calls:
            if isinstance(site.func, Ref) and site.func.qualname in _GETTERS and site.args:
                yield from self._checked(_GETTERS[site.func.qualname], site.args[0], site.node)

    def _checked(self, kind: str, value, call: cst.Call):
        for text in _strings(value):
            if _known(kind, text):
                continue
            guess = _suggestion(kind, text)
            yield Report(
                string_in(call, text),
                f"unknown {kind} {text!r}" + (f": did you mean {guess!r}?" if guess else ""),
                f"Keras rejects it with ValueError when the model is {'built' if kind == 'activation' else 'compiled'}",
            )

    VALID = (
        """
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
""",
        """
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
model.compile("rmsprop", "sparse_categorical_crossentropy", metrics=["accuracy"])
""",
        # Optimizer names are case-insensitive; "acc"/"Accuracy" are resolved by compile().
        """
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="Adam", loss="binary_crossentropy", metrics=["acc", "AUC", "Precision"])
""",
        """
from keras import layers
x = layers.Dense(64, activation="gelu")
y = layers.Conv2D(32, 3, activation="swish")
z = layers.LSTM(16, recurrent_activation="hard_sigmoid")
a = layers.Activation("leaky_relu")
""",
        # Objects instead of strings are not identifiers.
        """
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.compile(
    optimizer=keras.optimizers.AdamW(1e-3),
    loss=keras.losses.Huber(),
    metrics=[keras.metrics.RootMeanSquaredError()],
)
""",
        # Unknown values: silent.
        """
import keras
def compile_model(model, loss_name):
    model.compile(optimizer="sgd", loss=loss_name)
""",
        # Per-output dicts.
        """
import keras
from keras import layers
inputs = keras.Input(shape=(8,))
a = layers.Dense(1, activation="sigmoid", name="a")(inputs)
b = layers.Dense(1, name="b")(inputs)
model = keras.Model(inputs, {"a": a, "b": b})
model.compile(loss={"a": "binary_crossentropy", "b": "huber"}, metrics={"a": ["auc"], "b": ["mae"]})
""",
        """
import keras
act = keras.activations.get("relu")
opt = keras.optimizers.get("nadam")
""",
        """
import tensorflow as tf
model = tf.keras.Sequential([tf.keras.Input(shape=(4,)), tf.keras.layers.Dense(1)])
model.compile(optimizer="adamw", loss="log_cosh", metrics=["mape", "msle"])
""",
        """
from keras import layers
x = layers.Dense(10, activation=None)
y = layers.Dense(10, activation="linear")
""",
        # A custom activation registered by name.
        """
import keras
from keras import layers
def mish2(x):
    return x * keras.ops.tanh(keras.ops.softplus(x))
keras.utils.get_custom_objects().update({"mish2": mish2})
x = layers.Dense(64, activation="mish2")
""",
    )

    INVALID = (
        Invalid("""
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mena_squared_error")
"""),
        Invalid("""
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.compile(optimizer="adamm", loss="mse")
"""),
        Invalid("""
from keras import layers
x = layers.Dense(64, activation="rellu")
"""),
        Invalid("""
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
model.compile(loss="categorical_crossentropy", metrics=["acuracy"])
"""),
        # Case matters for losses and activations.
        Invalid("""
from keras import layers
x = layers.Activation("ReLU")
"""),
        Invalid("""
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="sgd", loss="binary_cross_entropy")
"""),
        # Through a module constant.
        Invalid("""
import keras
LOSS = "sparse_categorical_crossentropy_loss"
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
model.compile(optimizer="adam", loss=LOSS)
"""),
        Invalid("""
import tensorflow as tf
model = tf.keras.Sequential([
    tf.keras.Input(shape=(None, 8)),
    tf.keras.layers.LSTM(32, recurrent_activation="sigmod"),
])
"""),
        Invalid("""
import keras
from keras import layers
inputs = keras.Input(shape=(8,))
a = layers.Dense(1, activation="sigmoid", name="a")(inputs)
model = keras.Model(inputs, {"a": a})
model.compile(loss={"a": "binary_crossentropy"}, metrics={"a": ["accuracy", "recal"]})
"""),
        Invalid("""
import keras
opt = keras.optimizers.get("rmsprob")
"""),
        # Positional compile arguments.
        Invalid("""
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.compile("adam", "mean_sqaured_error")
"""),
        Invalid("""
from keras import layers
x = layers.Conv2D(32, 3, activation="leakyrelu")
"""),
    )
