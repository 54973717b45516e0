from __future__ import annotations

from kgen.lint.models import DEFAULT, Function, Seq
from kgen.lint.rule import Invalid, Report, Rule

# Preprocessing layers whose state comes from adapt() unless it is passed in.
_STATE = {
    "Normalization": ("mean", "variance"),
    "TextVectorization": ("vocabulary",),
    "StringLookup": ("vocabulary",),
    "IntegerLookup": ("vocabulary",),
    "Discretization": ("bin_boundaries",),
}
_SETTERS = ("adapt", "set_vocabulary", "set_weights", "load_own_variables", "build_from_config")
_RESTORES = ("load_weights", "load_model", "load_own_variables")


def _escapes(instance, site) -> bool:
    """Passed to a function of the file or an unknown callee: it may be adapted there."""
    if isinstance(site.func, Function) or site.func is None:
        values = [*site.args, *site.kwargs.values()]
        for value in values:
            items = value.items if isinstance(value, Seq) else [value]
            if any(item is instance for item in items):
                return True
    return False


class NormalizationNotAdapted(Rule):
    """
    ## What it does
    Finds a `Normalization`, `TextVectorization`, `StringLookup`, `IntegerLookup` or
    `Discretization` layer that is part of a model, is given no state (`mean=`/`variance=`,
    `vocabulary=`, `bin_boundaries=`) and is never `adapt()`ed (nor given a vocabulary or
    weights) anywhere in the file. A layer passed to a function of the file or to an unknown
    call, and files that load weights or models, are left alone: the state may come from
    there.

    Evidence: "missing preprocessing" / "normalisation statistics not computed" is a
    preprocessing fault of Humbatova et al.'s taxonomy (ICSE 2020); with Keras 3 moving
    preprocessing into the model, forgetting `adapt()` is the form it takes. False-alarm risk:
    low; it needs the layer, its construction and every call on it in one file.

    ## Why is this bad?
    An unadapted `Normalization` has mean 0 and variance 1 (or raises when the model is built,
    depending on the version): the data goes in unnormalised, which the layer was there to
    prevent. An unadapted `TextVectorization` or lookup has an empty vocabulary and maps every
    token to the out-of-vocabulary index: the model trains on constant inputs.

    ## Example
    ```python
    normalizer = layers.Normalization()
    model = keras.Sequential([keras.Input(shape=(8,)), normalizer, layers.Dense(1)])
    model.fit(x_train, y_train)
    ```

    ## Use instead
    ```python
    normalizer = layers.Normalization()
    normalizer.adapt(x_train)
    model = keras.Sequential([keras.Input(shape=(8,)), normalizer, layers.Dense(1)])
    ```

    ## Fix safety
    No fix: which data to adapt on (the training split only) is the author's call.
    """

    CODE = "KG022"
    NAME = "normalization-not-adapted"
    SEVERITY = "error"
    SUMMARY = "A Normalization/TextVectorization layer in a model that is never adapt()ed"

    def check(self, facts):
        if any(site.method in _RESTORES for site in facts.calls):
            return
        in_models = {
            id(node.layer)
            for model in facts.models
            for node in model.nodes()
            if node.kind == "layer"
        }
        for instance in facts.instances:
            state = _STATE.get(instance.kind)
            if state is None or id(instance) not in in_models or instance.starred:
                continue
            if any(instance.param(name) is not DEFAULT for name in state):
                continue
            if any(
                (site.receiver is instance and site.method in _SETTERS)
                or (site.receiver is None and site.method in _SETTERS)
                or _escapes(instance, site)
                for site in facts.calls
            ):
                continue
            yield Report(
                instance.call,
                f"{instance.kind} layer is never adapt()ed and given no "
                f"{'/'.join(state)}: it {_EFFECT[instance.kind]}",
                f"call .adapt() on the training data before fit(), or pass {state[0]}=",
            )

    VALID = (
        """
import keras
from keras import layers
normalizer = layers.Normalization()
normalizer.adapt(x_train)
model = keras.Sequential([keras.Input(shape=(8,)), normalizer, layers.Dense(1)])
""",
        """
import keras
from keras import layers
norm = layers.Normalization(mean=[0.5, 0.2], variance=[0.1, 0.3])
model = keras.Sequential([keras.Input(shape=(2,)), norm, layers.Dense(1)])
""",
        """
import keras
from keras import layers
vectorize = layers.TextVectorization(max_tokens=20000, output_sequence_length=200)
vectorize.adapt(train_texts)
inputs = keras.Input(shape=(1,), dtype="string")
x = layers.Embedding(20000, 64)(vectorize(inputs))
model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(layers.GlobalAveragePooling1D()(x)))
""",
        """
import keras
from keras import layers
lookup = layers.StringLookup(vocabulary=["a", "b", "c"], output_mode="one_hot")
inputs = keras.Input(shape=(1,), dtype="string")
model = keras.Model(inputs, layers.Dense(1)(lookup(inputs)))
""",
        # Adapted through a dataset's map: the receiver is the layer.
        """
import keras
from keras import layers
norm = layers.Normalization(axis=-1)
norm.adapt(train_ds.map(lambda x, y: x))
inputs = keras.Input(shape=(4,))
model = keras.Model(inputs, layers.Dense(1)(norm(inputs)))
""",
        # Handed to a helper that adapts it.
        """
import keras
from keras import layers
def fit_stats(layer, data):
    layer.adapt(data)
norm = layers.Normalization()
fit_stats(norm, x_train)
model = keras.Sequential([keras.Input(shape=(8,)), norm, layers.Dense(1)])
""",
        # Weights restored from a file.
        """
import keras
from keras import layers
norm = layers.Normalization()
model = keras.Sequential([keras.Input(shape=(8,)), norm, layers.Dense(1)])
model.load_weights("model.weights.h5")
""",
        # Not part of a model.
        """
from keras import layers
norm = layers.Normalization()
""",
        """
import keras
from keras import layers
bins = layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0])
inputs = keras.Input(shape=(1,))
model = keras.Model(inputs, layers.Dense(1)(bins(inputs)))
""",
        """
import keras
from keras import layers
vectorize = layers.TextVectorization(output_mode="int")
vectorize.set_vocabulary(["the", "cat", "sat"])
inputs = keras.Input(shape=(1,), dtype="string")
model = keras.Model(inputs, layers.Embedding(5, 4)(vectorize(inputs)))
""",
    )

    INVALID = (
        Invalid("""
import keras
from keras import layers
normalizer = layers.Normalization()
model = keras.Sequential([keras.Input(shape=(8,)), normalizer, layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(x_train, y_train, epochs=10)
"""),
        Invalid("""
import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(8,)), layers.Normalization(axis=-1), layers.Dense(1)])
"""),
        Invalid("""
import keras
from keras import layers
vectorize = layers.TextVectorization(max_tokens=20000, output_sequence_length=200)
inputs = keras.Input(shape=(1,), dtype="string")
x = layers.Embedding(20000, 64)(vectorize(inputs))
model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(layers.GlobalAveragePooling1D()(x)))
"""),
        Invalid("""
import keras
from keras import layers
lookup = layers.StringLookup(output_mode="one_hot")
inputs = keras.Input(shape=(1,), dtype="string")
model = keras.Model(inputs, layers.Dense(1)(lookup(inputs)))
"""),
        # Adapted the wrong layer: a second Normalization.
        Invalid("""
import keras
from keras import layers
norm = layers.Normalization()
other = layers.Normalization()
other.adapt(x_train)
model = keras.Sequential([keras.Input(shape=(8,)), norm, layers.Dense(1)])
"""),
        Invalid("""
import keras
from keras import layers
inputs = keras.Input(shape=(1,))
model = keras.Model(inputs, layers.Dense(1)(layers.IntegerLookup(output_mode="one_hot")(inputs)))
"""),
        Invalid("""
import keras
from keras import layers
def build():
    norm = layers.Normalization()
    inputs = keras.Input(shape=(13,))
    x = layers.Dense(64, activation="relu")(norm(inputs))
    return keras.Model(inputs, layers.Dense(1)(x))
"""),
        Invalid("""
import tensorflow as tf
norm = tf.keras.layers.Normalization()
model = tf.keras.Sequential([tf.keras.Input(shape=(4,)), norm, tf.keras.layers.Dense(3, activation="softmax")])
"""),
        Invalid("""
import keras
from keras import layers
bins = layers.Discretization(num_bins=4)
inputs = keras.Input(shape=(1,))
model = keras.Model(inputs, layers.Dense(1)(bins(inputs)))
"""),
        Invalid("""
from keras.layers import Normalization, Dense, Input
from keras.models import Sequential
model = Sequential()
model.add(Input(shape=(6,)))
model.add(Normalization())
model.add(Dense(1))
"""),
    )


_EFFECT = {
    "Normalization": "normalises nothing (mean 0, variance 1)",
    "TextVectorization": "has no vocabulary: every token becomes out-of-vocabulary",
    "StringLookup": "has no vocabulary: every value becomes out-of-vocabulary",
    "IntegerLookup": "has no vocabulary: every value becomes out-of-vocabulary",
    "Discretization": "has no bin boundaries",
}
