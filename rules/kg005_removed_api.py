from __future__ import annotations

import libcst as cst

from kgen.lint.keras_identifiers import BACKEND, OPS, TF_KERAS_BACKEND
from kgen.lint.models import Instance, Model, Node, Result
from kgen.lint.resolve import Ref
from kgen.lint.rule import Fix, Invalid, Report, Rule
from kgen.lint.signatures import accepted, forwarded, rejected, removed_attribute

_GENERATOR_METHODS = {
    "fit_generator": "fit",
    "evaluate_generator": "evaluate",
    "predict_generator": "predict",
}
_DATA_LOADING = ("workers", "use_multiprocessing", "max_queue_size")
# Modules of the `keras` package Keras 3 no longer has, and what replaces them.
_REMOVED_MODULES = {
    "keras.preprocessing.text": "keras.layers.TextVectorization",
    "keras.layers.merge": "keras.layers.Concatenate/Add (or keras.layers.concatenate)",
    "keras.utils.np_utils": "keras.utils.to_categorical",
    "keras.wrappers.scikit_learn": "the scikeras package",
    "keras.wrappers": "the scikeras package",
}
_REMOVED_NAMES = {
    "keras.preprocessing.image.ImageDataGenerator": (
        "keras.utils.image_dataset_from_directory and preprocessing layers"
    ),
    "keras.layers.CuDNNLSTM": "keras.layers.LSTM (it uses cuDNN by itself)",
    "keras.layers.CuDNNGRU": "keras.layers.GRU (it uses cuDNN by itself)",
}


def _dotted(node) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


def _imports(module: cst.Module):
    """Import statements at module level (also inside if/try blocks), as written."""
    pending = list(module.body)
    while pending:
        statement = pending.pop(0)
        if isinstance(statement, cst.SimpleStatementLine):
            yield from (s for s in statement.body if isinstance(s, (cst.Import, cst.ImportFrom)))
        elif isinstance(statement, (cst.If, cst.Try)):
            pending.extend(statement.body.body)


def _removed_module(dotted: str) -> tuple[str, str] | None:
    for module, replacement in _REMOVED_MODULES.items():
        if dotted == module or dotted.startswith(module + "."):
            return module, replacement
    return None


def _backend_message(name: str, native: bool) -> str | None:
    """Why `keras.backend.<name>` fails in Keras 3; None when it still exists there."""
    if name in BACKEND or (not native and name in TF_KERAS_BACKEND):
        return None
    if native and name in TF_KERAS_BACKEND:
        where = f"use keras.ops.{name}" if name in OPS else "use keras.ops"
        return f"keras.backend.{name} was removed from Keras 3 ({where})"
    if name in OPS:
        return f"keras.backend.{name} was removed in Keras 3 (use keras.ops.{name})"
    return f"keras.backend.{name} does not exist in Keras 3 (graph/session APIs are gone)"


_KERAS1_HINTS = {
    "nb_row": "Keras 3 takes kernel_size=(rows, cols)",
    "nb_col": "Keras 3 takes kernel_size=(rows, cols)",
    "dim_ordering": 'data_format="channels_last" (was "tf") or "channels_first" (was "th")',
    "consume_less": "Keras 3 chooses the implementation itself",
}


# Keras 1 keywords of the generator methods that kept their meaning under a new name
# (not samples_per_epoch: Keras 3 counts steps, not samples).
_KERAS1_METHOD_KEYWORDS = {"nb_epoch": "epochs"}


def _generator_fix(call: cst.Call, method: str) -> Fix | None:
    """`fit_generator(generator=gen, ...)` -> `fit(x=gen, ...)`: the method and the keywords
    it forwarded under other names (Keras 2's own forwarding, from the signature table), or no
    fix when an argument has no Keras 3 equivalent or positions would shift."""
    new, renames = forwarded(f"keras.Model.{method}") or (None, {})
    target = accepted(f"keras.Model.{new}") if new else None
    if target is None or len([a for a in call.args if a.keyword is None]) > 1:
        return None
    replacements = [(call.func.attr, cst.Name(new))]
    for arg in call.args:
        if arg.keyword is None:
            continue
        renamed = renames.get(arg.keyword.value, _KERAS1_METHOD_KEYWORDS.get(arg.keyword.value))
        if renamed not in target:
            return None
        if renamed != arg.keyword.value:
            replacements.append((arg.keyword, cst.Name(renamed)))
    return Fix(f"use {new}()", True, tuple(replacements))


class RemovedApi(Rule):
    """
    ## What it does
    Finds Keras 1/2 API that Keras 3 rejects, and says what replaces it:
    optimizer `lr=` (now `learning_rate=`) and `decay=` (a learning-rate schedule);
    `fit(nb_epoch=)` (now `epochs=`); `fit_generator`/`evaluate_generator`/`predict_generator`
    (now `fit`/`evaluate`/`predict`, which take generators); `predict_classes`;
    `workers=`/`use_multiprocessing=`/`max_queue_size=` in `fit`/`evaluate`/`predict`;
    every Keras 1 and Keras 2 keyword of a layer, optimizer or `compile`/`fit`/`evaluate`/
    `predict` that Keras 3 rejects (`Dense(output_dim=, init=, W_regularizer=)`,
    `Convolution2D(nb_filter=, nb_row=, nb_col=, border_mode=, subsample=)`,
    `LSTM(input_length=)`), from tables generated from the Keras 2 wheel's source and Keras 3's
    signatures (`python -m kgen.lint.gen_signatures`); `layer.input_shape`/`output_shape` and
    Keras 1's `tensor._keras_shape`;
    `ImageDataGenerator` and `keras.preprocessing.text` imported from `keras`;
    `keras.layers.merge`; `CuDNNLSTM`/`CuDNNGRU`; `keras.utils.np_utils`;
    `keras.wrappers.scikit_learn`; `keras.backend` functions Keras 3 dropped.
    The `tf_keras` package (Keras 2 kept alive) is left alone, and so are `tf.keras.backend`
    functions that TensorFlow's Keras 3 still provides for compatibility.

    ## Why is this bad?
    Each of these raises (`TypeError: Unrecognized keyword arguments`, `AttributeError`,
    `ImportError`) the moment the script reaches it under Keras 3 (`keras` 3.x, or `tf.keras`
    in TensorFlow 2.16+), often after the data has been loaded and preprocessed.

    ## Example
    ```python
    optimizer = keras.optimizers.Adam(lr=1e-3)
    model.fit_generator(train_gen, nb_epoch=10)
    ```

    ## Use instead
    ```python
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    model.fit(train_gen, epochs=10)
    ```

    ## Fix safety
    Safe fixes rename what kept its meaning: `lr=` -> `learning_rate=`, `nb_epoch=` ->
    `epochs=`, and the Keras 1 keywords Keras 2.2 renamed one for one (`init=` ->
    `kernel_initializer=`, `output_dim=` -> `units=`; not `dim_ordering=`, whose values changed
    too). `fit_generator(gen, ...)` becomes `fit(gen, ...)` with its keywords renamed the way
    Keras 2 forwarded them (`generator=` -> `x=`), only when the generator is the only
    positional argument and every keyword exists in Keras 3's `fit`. `decay=` is reported, not
    fixed: Keras 3 accepts it but ignores it, so the learning rate no longer decays. The rest
    needs a decision and is only reported.
    """

    CODE = "KG005"
    NAME = "removed-api"
    SEVERITY = "error"
    SUMMARY = "Keras 1/2 API that Keras 3 removed (lr=, fit_generator, nb_epoch, ...)"
    FIX = "safe"

    def check(self, facts):
        raw = {}  # name bound by an import -> the module path as written
        for statement in _imports(facts.module):
            yield from self._check_import(statement, raw)
        if any(path.split(".")[0] == "tf_keras" for path in raw.values()):
            return  # Keras 2 on purpose: its API is not removed there
        keras_file = any(
            isinstance(v, Ref) and v.qualname.startswith("keras")
            for v in facts.scope.names.values()
        )
        for site in facts.calls:
            yield from self._check_call(site, raw, keras_file)
        for instance in facts.instances:
            yield from self._check_instance(instance)
        for node, base in facts.attributes:
            yield from self._check_attribute(node, base)

    def _check_import(self, statement, raw):
        if isinstance(statement, cst.Import):
            for alias in statement.names:
                dotted = _dotted(alias.name)
                bound = alias.asname.name.value if alias.asname else dotted.split(".")[0]
                raw[bound] = dotted if alias.asname else bound
                removed = _removed_module(dotted)
                if removed:
                    yield Report(alias, f"{removed[0]} was removed in Keras 3: use {removed[1]}")
            return
        if statement.relative or statement.module is None:
            return
        module = _dotted(statement.module)
        removed = _removed_module(module)
        if removed and module.startswith("keras"):
            yield Report(statement, f"{removed[0]} was removed in Keras 3: use {removed[1]}")
            return
        if isinstance(statement.names, cst.ImportStar):
            return
        for alias in statement.names:
            name = _dotted(alias.name)
            bound = alias.asname.name.value if alias.asname else name
            raw[bound] = f"{module}.{name}"
            full = f"{module}.{name}"
            if full.startswith("keras."):
                removed = _removed_module(full)
                if removed:
                    yield Report(alias, f"{removed[0]} was removed in Keras 3: use {removed[1]}")
                elif full in _REMOVED_NAMES:
                    yield Report(
                        alias, f"{full} was removed in Keras 3: use {_REMOVED_NAMES[full]}"
                    )
                elif module == "keras.backend":
                    message = _backend_message(name, native=True)
                    if message:
                        yield Report(alias, message)
            elif name in ("CuDNNLSTM", "CuDNNGRU") and module.endswith("keras.layers"):
                yield Report(
                    alias, f"{name} was removed: use {_REMOVED_NAMES['keras.layers.' + name]}"
                )

    def _check_call(self, site, raw, keras_file):
        method = site.method
        model = isinstance(site.receiver, Model)
        receiver = site.receiver
        unknown = keras_file and (
            isinstance(receiver, Result) or (receiver is None and site.func is None)
        )
        if method in _GENERATOR_METHODS and (model or unknown):
            new = _GENERATOR_METHODS[method]
            yield Report(
                site.node,
                f"{method}() was removed in Keras 3: {new}() takes generators and datasets",
                None,
                _generator_fix(site.node, method),
            )
        if method == "predict_classes" and (model or unknown):
            yield Report(
                site.node,
                "predict_classes() was removed in Keras 3: use "
                "np.argmax(model.predict(x), axis=-1)",
                "for a sigmoid output: (model.predict(x) > 0.5).astype(int)",
            )
        if method == "fit" and (model or unknown):
            yield from self._rename(site.node, "nb_epoch", "epochs", "fit(nb_epoch=)")
        if method in _GENERATOR_METHODS and (model or unknown):
            # Renamed with the method by its fix: a fix of the keyword alone leaves the call
            # as broken as before.
            for arg in site.node.args:
                if arg.keyword is not None and arg.keyword.value == "nb_epoch":
                    yield Report(arg, f"{method}(nb_epoch=) was removed in Keras 3: use epochs=")
        if model and method in ("compile", "fit", "evaluate", "predict"):
            for arg in site.node.args:
                keyword = arg.keyword.value if arg.keyword is not None else None
                why = rejected(f"keras.Model.{method}", keyword) if keyword else None
                if why and why.era == "keras2" and keyword not in _DATA_LOADING:
                    yield Report(arg, f"{method}({keyword}=) was removed in Keras 3")
        if method in ("fit", "evaluate", "predict") and model:
            for arg in site.node.args:
                if arg.keyword is not None and arg.keyword.value in _DATA_LOADING:
                    yield Report(
                        arg,
                        f"{method}({arg.keyword.value}=) was removed in Keras 3: "
                        "set it on a keras.utils.PyDataset instead",
                        "class MyData(keras.utils.PyDataset): super().__init__(workers=4, ...)",
                    )
        if isinstance(site.func, Ref) and isinstance(site.node.func, cst.Attribute):
            root = site.node.func
            while isinstance(root, cst.Attribute):
                root = root.value
            written = raw.get(root.value) if isinstance(root, cst.Name) else None
            if not written or not written.startswith("keras"):
                return  # tf.keras keeps some legacy API for compatibility: not judged here
            qualname = site.func.qualname
            if qualname in _REMOVED_NAMES and "CuDNN" not in qualname:
                yield Report(
                    site.node,
                    f"{qualname} was removed in Keras 3: use {_REMOVED_NAMES[qualname]}",
                )
            elif qualname.startswith("keras.backend.") and qualname.count(".") == 2:
                message = _backend_message(qualname.rpartition(".")[2], native=True)
                if message:
                    yield Report(site.node, message)

    def _check_instance(self, instance):
        if instance.qualname.startswith("keras.optimizers."):
            if "learning_rate" not in instance.kwargs:
                yield from self._rename(instance.call, "lr", "learning_rate", "optimizer lr=")
            for arg in instance.call.args:
                if arg.keyword is not None and arg.keyword.value == "decay":
                    yield Report(
                        arg,
                        "optimizer decay= is ignored by Keras 3 (it only warns): the learning "
                        "rate stays constant; pass a keras.optimizers.schedules.InverseTimeDecay "
                        "as learning_rate=",
                        "weight decay is weight_decay= (or AdamW), not decay=",
                    )
        if instance.kind in ("CuDNNLSTM", "CuDNNGRU"):
            yield Report(
                instance.call,
                f"{instance.kind} was removed: use "
                f"{_REMOVED_NAMES['keras.layers.' + instance.kind]}",
            )
        if instance.kind or instance.qualname.startswith("keras.optimizers."):
            yield from self._removed_keywords(instance)

    def _removed_keywords(self, instance: Instance):
        """Keras 1/2 keywords of a layer or optimizer, from the generated signature tables."""
        name = instance.qualname.rpartition(".")[2]
        for arg in instance.call.args:
            keyword = arg.keyword.value if arg.keyword is not None else None
            why = rejected(instance.qualname, keyword) if keyword else None
            if why is None or why.era is None or keyword in ("lr", "decay"):
                continue
            new = why.replacement
            if why.era == "keras1" and new and new not in instance.kwargs:
                yield from self._rename(instance.call, keyword, new, f"{name}({keyword}=)")
            elif why.era == "keras1":
                yield Report(
                    arg,
                    f"{name}({keyword}=) is a Keras 1 argument that Keras 3 rejects",
                    _KERAS1_HINTS.get(keyword),
                )
            else:
                yield Report(arg, f"{name}({keyword}=) was removed in Keras 3")

    def _check_attribute(self, node: cst.Attribute, base):
        message = removed_attribute(node.attr.value, tensor=isinstance(base, Node))
        if message and isinstance(base, (Instance, Node)):
            if isinstance(base, Instance) and not base.kind:
                return
            yield Report(node, message)

    @staticmethod
    def _rename(call: cst.Call, old: str, new: str, what: str):
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == old:
                yield Report(
                    arg,
                    f"{what} was removed in Keras 3: use {new}=",
                    None,
                    Fix(f"rename to {new}=", True, ((arg.keyword, cst.Name(new)),)),
                )

    VALID = (
        """
import keras
optimizer = keras.optimizers.Adam(learning_rate=1e-3)
""",
        """
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.fit(x, y, epochs=10, batch_size=32)
""",
        # tf_keras is Keras 2 on purpose.
        """
import tf_keras
from tf_keras.preprocessing.image import ImageDataGenerator
gen = ImageDataGenerator(rescale=1 / 255)
opt = tf_keras.optimizers.Adam(lr=0.001)
""",
        # tf.keras.backend keeps its legacy functions in TensorFlow's Keras 3.
        """
import tensorflow as tf
K = tf.keras.backend
def rmse(y_true, y_pred):
    return K.sqrt(K.mean(K.square(y_pred - y_true)))
""",
        """
from keras import backend as K
K.clear_session()
eps = K.epsilon()
""",
        """
import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(32, 3, padding="same")])
""",
        # A scikit-learn estimator's predict_proba and fit(...) are not Keras API.
        """
from sklearn.linear_model import LogisticRegression
clf = LogisticRegression()
clf.fit(X, y)
proba = clf.predict_proba(X)
""",
        """
import keras
train_ds = keras.utils.image_dataset_from_directory("data/train", image_size=(180, 180))
""",
        """
import keras
from keras.layers import TextVectorization, LSTM
vectorize = TextVectorization(max_tokens=20000)
""",
        """
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.fit(train_gen, epochs=5, validation_data=val_gen)
predicted = model.predict(x).argmax(axis=-1)
""",
        # Keyword names Keras 3 kept.
        """
import keras
from keras import layers, regularizers
model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(32, 3, strides=2, padding="same", kernel_regularizer=regularizers.l2(1e-4)),
    layers.Dense(10, kernel_initializer="he_normal", use_bias=False),
])
print(model.output_shape, model.layers[0].output.shape)
""",
    )

    INVALID = (
        Invalid(
            """
import keras
optimizer = keras.optimizers.Adam(lr=1e-3)
""",
            """
import keras
optimizer = keras.optimizers.Adam(learning_rate=1e-3)
""",
        ),
        Invalid(
            """
from tensorflow.keras.optimizers import SGD
opt = SGD(lr=0.01, momentum=0.9)
""",
            """
from tensorflow.keras.optimizers import SGD
opt = SGD(learning_rate=0.01, momentum=0.9)
""",
        ),
        Invalid("""
import keras
opt = keras.optimizers.RMSprop(learning_rate=1e-3, decay=1e-6)
"""),
        Invalid(
            """
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.fit(x, y, nb_epoch=10)
""",
            """
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.fit(x, y, epochs=10)
""",
        ),
        Invalid(
            """
import keras
model = keras.models.load_model("model.keras")
model.fit_generator(train_gen, steps_per_epoch=100, epochs=5)
""",
            """
import keras
model = keras.models.load_model("model.keras")
model.fit(train_gen, steps_per_epoch=100, epochs=5)
""",
        ),
        # Positional arguments after the generator would shift: reported, no fix.
        Invalid("""
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.fit_generator(train_gen, 100, 5, workers=4, use_multiprocessing=True)
"""),
        Invalid("""
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
classes = model.predict_classes(x_test)
"""),
        Invalid("""
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.fit(x, y, epochs=3, workers=4, use_multiprocessing=True)
"""),
        Invalid(
            """
from keras.models import Sequential
from keras.layers import Dense
model = Sequential([Dense(64, input_dim=8, init="uniform", activation="relu")])
""",
            """
from keras.models import Sequential
from keras.layers import Dense
model = Sequential([Dense(64, input_dim=8, kernel_initializer="uniform", activation="relu")])
""",
        ),
        Invalid("""
from keras.preprocessing.image import ImageDataGenerator
datagen = ImageDataGenerator(rescale=1.0 / 255)
"""),
        Invalid("""
from keras.preprocessing.text import Tokenizer
tokenizer = Tokenizer(num_words=10000)
"""),
        Invalid("""
from keras.layers.merge import concatenate
"""),
        Invalid("""
from keras.layers import CuDNNLSTM, Dense
"""),
        Invalid("""
import tensorflow as tf
x = tf.keras.layers.CuDNNGRU(64)
"""),
        Invalid("""
from keras import backend as K
def rmse(y_true, y_pred):
    return K.sqrt(K.mean(K.square(y_pred - y_true)))
"""),
        Invalid("""
import keras
gen = keras.preprocessing.image.ImageDataGenerator(horizontal_flip=True)
"""),
        Invalid("""
from keras.utils import np_utils
"""),
        # Keras 2 forwarded fit_generator(generator=...) to fit(x=...): both are renamed.
        Invalid(
            """
import keras
model = keras.models.load_model("model.keras")
model.fit_generator(generator=train_gen, steps_per_epoch=100, epochs=5, validation_data=val_gen)
""",
            """
import keras
model = keras.models.load_model("model.keras")
model.fit(x=train_gen, steps_per_epoch=100, epochs=5, validation_data=val_gen)
""",
        ),
        # Keras 1 Dense(output_dim=) and W_regularizer=, from the generated tables.
        Invalid(
            """
from keras.models import Sequential
from keras.layers import Dense
from keras.regularizers import l2
model = Sequential([Dense(output_dim=64, W_regularizer=l2(0.01), input_dim=20)])
""",
            """
from keras.models import Sequential
from keras.layers import Dense
from keras.regularizers import l2
model = Sequential([Dense(units=64, kernel_regularizer=l2(0.01), input_dim=20)])
""",
        ),
        # Keras 1 Convolution2D(nb_row=, nb_col=): no one-for-one rename for the kernel size.
        Invalid("""
from keras.layers import Convolution2D
conv = Convolution2D(32, nb_row=3, nb_col=3, activation="relu")
"""),
        Invalid(
            """
from keras.layers import Convolution2D
conv = Convolution2D(nb_filter=32, kernel_size=3, subsample=(2, 2))
""",
            """
from keras.layers import Convolution2D
conv = Convolution2D(filters=32, kernel_size=3, strides=(2, 2))
""",
        ),
        # layer.input_shape / output_shape and tensor._keras_shape are gone.
        Invalid("""
import keras
from keras import layers
dense = layers.Dense(10)
inputs = keras.Input(shape=(4,))
outputs = dense(inputs)
print(dense.output_shape, inputs._keras_shape)
"""),
        # A Keras 2 keyword of an RNN.
        Invalid("""
import keras
model = keras.Sequential([keras.layers.LSTM(32, input_length=100, input_dim=8)])
"""),
        Invalid(
            """
from keras.layers import Conv2D
x = Conv2D(32, (3, 3), border_mode="same")
""",
            """
from keras.layers import Conv2D
x = Conv2D(32, (3, 3), padding="same")
""",
        ),
    )
