from __future__ import annotations

from kgen.lint.models import Instance, Result
from kgen.lint.resolve import Ref
from kgen.lint.rule import Invalid, Report, Rule

_SLOTS = ("kernel", "bias", "recurrent", "depthwise", "pointwise", "embeddings", "gamma", "beta")


def _family(value) -> str | None:
    """ "constraints" or "regularizers" for a Keras object built or referenced in the file."""
    if isinstance(value, (Instance, Result, Ref)):
        parts = value.qualname.split(".")
        if len(parts) >= 3 and parts[0] == "keras" and parts[1] in ("constraints", "regularizers"):
            return parts[1]
    return None


class ConstraintAsRegularizer(Rule):
    """
    ## What it does
    Finds a weight constraint (`keras.constraints.max_norm`, `MaxNorm`, `NonNeg`, `UnitNorm`,
    `MinMaxNorm`) passed as a layer's `*_regularizer=`, and a regularizer (`l1`, `l2`,
    `L1L2`, `OrthogonalRegularizer`) passed as a `*_constraint=`.

    Evidence: mixing up the two is in the "hyperparameters / regularisation" branch of
    Humbatova et al.'s taxonomy (ICSE 2020) and the dropout-paper recipe
    `kernel_constraint=max_norm(3)` is often pasted into the wrong keyword. False-alarm risk:
    none; only objects the file visibly builds from `keras.constraints`/`keras.regularizers`
    are checked.

    ## Why is this bad?
    Both are callables on the weights, so Keras accepts either slot: a constraint used as a
    regulariser adds a whole weight matrix to the loss instead of a penalty (an error about a
    non-scalar loss, or nonsense training), and a regulariser used as a constraint replaces
    the weights with a scalar after every step. The intended max-norm or L2 never happens.

    ## Example
    ```python
    layers.Dense(256, activation="relu", kernel_regularizer=keras.constraints.max_norm(3))
    ```

    ## Use instead
    ```python
    layers.Dense(256, activation="relu", kernel_constraint=keras.constraints.max_norm(3))
    ```

    ## Fix safety
    No fix: whether the keyword or the object is the mistake is the author's call.
    """

    CODE = "KG019"
    NAME = "constraint-as-regularizer"
    SEVERITY = "error"
    SUMMARY = "A weight constraint passed as a regularizer (or a regularizer as a constraint)"

    def check(self, facts):
        for instance in facts.instances:
            if not instance.kind:
                continue
            for arg in instance.call.args:
                keyword = arg.keyword.value if arg.keyword is not None else ""
                slot, _, role = keyword.rpartition("_")
                if role not in ("regularizer", "constraint") or slot not in (*_SLOTS, "activity"):
                    continue
                family = _family(instance.kwargs.get(keyword))
                if role == "regularizer" and family == "constraints":
                    yield Report(
                        arg,
                        f"a weight constraint passed as {keyword}=: it is not a penalty",
                        f"use {slot}_constraint= for a constraint",
                    )
                elif role == "constraint" and family == "regularizers":
                    yield Report(
                        arg,
                        f"a regularizer passed as {keyword}=: it would replace the weights",
                        f"use {slot}_regularizer= for a penalty",
                    )

    VALID = (
        """
import keras
from keras import layers
layer = layers.Dense(256, activation="relu", kernel_constraint=keras.constraints.max_norm(3))
""",
        """
import keras
from keras import layers, regularizers
layer = layers.Dense(64, kernel_regularizer=regularizers.l2(1e-4), bias_regularizer=regularizers.l1(1e-5))
""",
        """
from keras.constraints import MaxNorm
from keras.layers import Conv2D
conv = Conv2D(32, 3, kernel_constraint=MaxNorm(2.0), bias_constraint=MaxNorm(2.0))
""",
        """
from keras import layers, regularizers
rnn = layers.LSTM(32, recurrent_regularizer=regularizers.L1L2(l1=1e-5, l2=1e-4))
""",
        """
from keras import layers, constraints
emb = layers.Embedding(1000, 16, embeddings_constraint=constraints.UnitNorm())
""",
        """
from keras import layers, regularizers
dense = layers.Dense(10, activity_regularizer=regularizers.l1(1e-5))
""",
        # A custom callable: unknown.
        """
from keras import layers
def clip(w):
    return w
dense = layers.Dense(10, kernel_constraint=clip, kernel_regularizer=penalty)
""",
        # String identifiers are resolved by Keras in their own slot.
        """
from keras import layers
dense = layers.Dense(10, kernel_regularizer="l2", kernel_constraint="max_norm")
""",
        """
from keras import layers, constraints
bn = layers.BatchNormalization(gamma_constraint=constraints.NonNeg())
""",
        """
import tensorflow as tf
layer = tf.keras.layers.Dense(8, kernel_regularizer=tf.keras.regularizers.l2(0.01))
""",
    )

    INVALID = (
        Invalid("""
import keras
from keras import layers
layer = layers.Dense(256, activation="relu", kernel_regularizer=keras.constraints.max_norm(3))
"""),
        Invalid("""
from keras.constraints import MaxNorm
from keras.layers import Conv2D
conv = Conv2D(32, 3, kernel_regularizer=MaxNorm(2.0))
"""),
        Invalid("""
from keras import layers, regularizers
dense = layers.Dense(64, kernel_constraint=regularizers.l2(1e-4))
"""),
        Invalid("""
from keras import layers, constraints
emb = layers.Embedding(1000, 16, embeddings_regularizer=constraints.UnitNorm())
"""),
        Invalid("""
from keras import layers, constraints
rnn = layers.LSTM(32, recurrent_regularizer=constraints.max_norm(2))
"""),
        Invalid("""
from keras import layers, constraints
dense = layers.Dense(8, bias_regularizer=constraints.NonNeg())
"""),
        Invalid("""
import tensorflow as tf
layer = tf.keras.layers.Dense(8, kernel_regularizer=tf.keras.constraints.MaxNorm(3))
"""),
        Invalid("""
from keras import layers, regularizers
conv = layers.Conv1D(16, 5, bias_constraint=regularizers.L1L2(l1=0.0, l2=0.01))
"""),
        Invalid("""
import keras
from keras import layers
MAX_NORM = keras.constraints.max_norm(4)
model = keras.Sequential([
    keras.Input(shape=(784,)),
    layers.Dropout(0.2),
    layers.Dense(1024, activation="relu", kernel_regularizer=MAX_NORM),
])
"""),
        Invalid("""
from keras import layers, constraints
sep = layers.SeparableConv2D(32, 3, depthwise_regularizer=constraints.MinMaxNorm(0.0, 1.0))
"""),
    )
