from __future__ import annotations

import libcst as cst

from kgen.lint.keras_identifiers import BACKEND, OPS, TF_KERAS_BACKEND
from kgen.lint.models import Model, Result
from kgen.lint.resolve import Ref
from kgen.lint.rule import Fix, Invalid, Report, Rule

_GENERATOR_METHODS = {
    "fit_generator": "fit",
    "evaluate_generator": "evaluate",
    "predict_generator": "predict",
}
_DATA_LOADING = ("workers", "use_multiprocessing", "max_queue_size")
# Keras 1 layer arguments and their Keras 2/3 names (same values).
_LAYER_KEYWORDS = {
    "init": "kernel_initializer",
    "border_mode": "padding",
    "subsample": "strides",
    "W_regularizer": "kernel_regularizer",
    "b_regularizer": "bias_regularizer",
}
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


class RemovedApi(Rule):
    """
    ## What it does
    Finds Keras 1/2 API that Keras 3 rejects, and says what replaces it:
    optimizer `lr=` (now `learning_rate=`) and `decay=` (a learning-rate schedule);
    `fit(nb_epoch=)` (now `epochs=`); `fit_generator`/`evaluate_generator`/`predict_generator`
    (now `fit`/`evaluate`/`predict`, which take generators); `predict_classes`;
    `workers=`/`use_multiprocessing=`/`max_queue_size=` in `fit`/`evaluate`/`predict`;
    Keras 1 layer arguments (`Dense(init=)`, `border_mode=`, `subsample=`, `W_regularizer=`);
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
    `epochs=`, `init=` -> `kernel_initializer=` (and the other Keras 1 layer keywords), and
    `fit_generator(gen, ...)` -> `fit(gen, ...)` when the generator is the only positional
    argument. The rest needs a decision and is only reported.
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
            positional = [arg for arg in site.node.args if arg.keyword is None]
            fixable = len(positional) <= 1 and not any(
                arg.keyword is not None and arg.keyword.value in _DATA_LOADING
                for arg in site.node.args
            )
            func = site.node.func
            yield Report(
                site.node,
                f"{method}() was removed in Keras 3: {new}() takes generators and datasets",
                None,
                Fix(f"use {new}()", True, ((func.attr, cst.Name(new)),)) if fixable else None,
            )
        if method == "predict_classes" and (model or unknown):
            yield Report(
                site.node,
                "predict_classes() was removed in Keras 3: use "
                "np.argmax(model.predict(x), axis=-1)",
                "for a sigmoid output: (model.predict(x) > 0.5).astype(int)",
            )
        if method in ("fit", *_GENERATOR_METHODS) and (model or unknown):
            yield from self._rename(site.node, "nb_epoch", "epochs", "fit(nb_epoch=)")
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
                        "optimizer decay= was removed in Keras 3: pass a "
                        "keras.optimizers.schedules.InverseTimeDecay as learning_rate=",
                        "weight decay is weight_decay= (or AdamW), not decay=",
                    )
        if instance.kind in ("CuDNNLSTM", "CuDNNGRU"):
            yield Report(
                instance.call,
                f"{instance.kind} was removed: use "
                f"{_REMOVED_NAMES['keras.layers.' + instance.kind]}",
            )
        if instance.kind:
            for old, new in _LAYER_KEYWORDS.items():
                if new not in instance.kwargs:
                    yield from self._rename(instance.call, old, new, f"{instance.kind}({old}=)")

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
