from __future__ import annotations

import libcst as cst

from kgen.lint.models import Model
from kgen.lint.rule import Invalid, Report, Rule
from kgen.lint.signatures import accepted, keras2_on_purpose, rejected

_METHODS = ("compile", "fit", "evaluate", "predict", "train_on_batch", "test_on_batch")


def _unknown(qualname: str, call: cst.Call, what: str):
    known = accepted(qualname)
    if known is None:
        return
    for arg in call.args:
        if arg.keyword is None:
            continue
        keyword = arg.keyword.value
        why = rejected(qualname, keyword)
        if why is None or why.era is not None:
            continue  # accepted, or a Keras 1/2 keyword: KG005 says what replaced it
        import difflib  # only when there is a finding: it costs start-up time

        close = difflib.get_close_matches(keyword, sorted(known), n=1, cutoff=0.75)
        yield Report(
            arg,
            f"{what} has no keyword argument {keyword!r}: Keras raises TypeError/ValueError",
            f"did you mean {close[0]}=?" if close else None,
        )


class UnknownKeyword(Rule):
    """
    ## What it does
    Checks the keyword arguments of calls to Keras layers, optimizers and callbacks, of
    `Model.compile`/`fit`/`evaluate`/`predict` and of `Sequential.add` against the keywords the
    installed Keras accepts, from a table generated from its signatures
    (`python -m kgen.lint.gen_signatures`). Keywords that were Keras 1/2 API are KG005's;
    this rule reports the ones that were never Keras keywords at all, with a did-you-mean.
    Classes and methods that pass `**kwargs` on to something the table cannot follow, calls
    with `**kwargs` of their own, and files importing `tf_keras` (Keras 2) are left alone.

    Evidence: misspelled or invented keyword arguments (`return_sequence=`, `activaton=`,
    `model.add(layer, input_shape=...)`) are an API-misuse class in both fault taxonomies
    (Islam et al., FSE 2019; Humbatova et al., ICSE 2020). False-alarm risk: low; the table is
    Keras's own signatures, and a test regenerates it from the installed Keras.

    ## Why is this bad?
    Keras 3 rejects unknown keywords (`Unrecognized keyword arguments passed to LSTM:
    {'return_sequence': True}`), but only when that line runs: often after the data has been
    loaded, or at the end of a long training when `evaluate` is reached.

    ## Example
    ```python
    layers.LSTM(64, return_sequence=True)
    model.fit(x, y, epoch=10)
    ```

    ## Use instead
    ```python
    layers.LSTM(64, return_sequences=True)
    model.fit(x, y, epochs=10)
    ```

    ## Fix safety
    No fix: the did-you-mean is a guess, and a wrong guess silently changes the model.
    """

    CODE = "KG016"
    NAME = "unknown-keyword"
    SEVERITY = "error"
    SUMMARY = "A keyword argument the installed Keras does not accept at all"

    def check(self, facts):
        if keras2_on_purpose(facts.module):
            return
        for instance in facts.instances:
            if not instance.starred:
                name = instance.qualname.rpartition(".")[2]
                yield from _unknown(instance.qualname, instance.call, f"{name}()")
        for site in facts.calls:
            if not isinstance(site.receiver, Model) or site.starred:
                continue
            if site.method in _METHODS:
                yield from _unknown(f"keras.Model.{site.method}", site.node, f"{site.method}()")
            elif site.method == "add" and site.receiver.kind == "sequential":
                yield from _unknown("keras.Sequential.add", site.node, "Sequential.add()")

    VALID = (
        """
import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(100, 8)), layers.LSTM(64, return_sequences=True), layers.LSTM(32)])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="mse", metrics=["mae"])
model.fit(x, y, epochs=10, batch_size=32, validation_split=0.2, verbose=2)
""",
        """
import keras
from keras import layers
inputs = keras.Input(shape=(32, 32, 3), name="image")
x = layers.Conv2D(32, 3, padding="same", activation="relu", kernel_initializer="he_normal")(inputs)
x = layers.BatchNormalization(momentum=0.9, epsilon=1e-5)(x)
model = keras.Model(inputs, layers.GlobalAveragePooling2D(keepdims=False)(x))
""",
        # input_shape= / input_dim= on a layer: Keras 3 still takes them (with a warning).
        """
from keras.models import Sequential
from keras.layers import Dense
model = Sequential([Dense(64, input_dim=8, activation="relu"), Dense(1, activation="sigmoid")])
""",
        # Keras 1/2 keywords are KG005's.
        """
from keras.layers import Dense
layer = Dense(output_dim=10, init="uniform")
""",
        # **kwargs: any keyword may be set; the explicit ones are still checked (none wrong).
        """
import keras
config = {"units": 8}
layer = keras.layers.Dense(**config, activation="relu")
""",
        # tf_keras is Keras 2.
        """
import tf_keras
layer = tf_keras.layers.Dense(10, kernel_initializer="glorot_uniform")
""",
        # Callbacks and evaluate/predict keywords.
        """
import keras
stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.evaluate(x, y, batch_size=64, return_dict=True)
model.predict(x, batch_size=64, verbose=0)
""",
        # Lambda passes **kwargs nowhere the table follows: not judged.
        """
import keras
layer = keras.layers.Lambda(lambda t: t * 2, output_shape=(4,))
""",
        # A subclass of a Keras layer takes what its author wrote.
        """
import keras
class Block(keras.layers.Layer):
    def __init__(self, width, **kwargs):
        super().__init__(**kwargs)
        self.width = width
block = Block(width=64, name="block")
""",
        # Sequential.add with its one keyword.
        """
import keras
model = keras.Sequential()
model.add(keras.layers.Dense(4), rebuild=False)
""",
        # Optimizer keywords Keras 3 added.
        """
import keras
opt = keras.optimizers.AdamW(learning_rate=3e-4, weight_decay=1e-4, clipnorm=1.0, use_ema=True)
""",
    )

    INVALID = (
        Invalid("""
import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(100, 8)), layers.LSTM(64, return_sequence=True), layers.LSTM(32)])
"""),
        Invalid("""
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epoch=10)
"""),
        # The pasted Keras 1 idiom: input_shape= on add(), not on the layer.
        Invalid("""
from keras.models import Sequential
from keras.layers import Dense
model = Sequential()
model.add(Dense(32, activation="relu"), input_shape=(10,))
"""),
        Invalid("""
from keras.layers import Dense
layer = Dense(10, activaton="relu")
"""),
        Invalid("""
import tensorflow as tf
opt = tf.keras.optimizers.Adam(learning_rate=1e-3, momentum=0.9)
"""),
        Invalid("""
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse", metric=["mae"])
"""),
        Invalid("""
import keras
from keras import layers
inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(32, 3, padding="same", activation="relu", kernel_size_=3)(inputs)
model = keras.Model(inputs, x)
"""),
        Invalid("""
import keras
stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best=True)
"""),
        Invalid("""
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.evaluate(x_test, y_test, return_dicts=True)
"""),
        Invalid("""
from keras.layers import Dropout, Embedding
emb = Embedding(input_dim=10000, output_dim=64, mask_zeros=True)
drop = Dropout(rate=0.5, seed_=1)
"""),
    )
