from __future__ import annotations

from kgen.lint.models import Const, Item, Model, Result
from kgen.lint.rule import Invalid, Report, Rule
from kgen.lint.targets import fit_inputs, fit_labels

# scikit-learn sets whose samples come grouped by class.
_ORDERED_LOADERS = {
    "sklearn.datasets.load_iris": "load_iris() returns its samples grouped by class",
    "sklearn.datasets.load_wine": "load_wine() returns its samples grouped by class",
}
_UNSHUFFLED_GENERATORS = (
    "sklearn.datasets.make_classification",
    "sklearn.datasets.make_multilabel_classification",
)


def _ordered(value, depth: int = 0) -> str | None:
    """Why an array arrives ordered (by class or by a sort), when the file shows it."""
    if depth > 8:
        return None
    if isinstance(value, Item):
        return _ordered(value.of, depth + 1)
    if not isinstance(value, Result):
        return None
    name = value.qualname
    if name in _ORDERED_LOADERS:
        return _ORDERED_LOADERS[name]
    if name in _UNSHUFFLED_GENERATORS and value.kwargs.get("shuffle") == Const(False):
        return f"{name.rpartition('.')[2]}(shuffle=False) returns its samples grouped by class"
    if ".sort_values" in name or name in ("numpy.sort",):
        return "the rows were sorted"
    if name.startswith(("numpy.array", "numpy.asarray", "pandas.DataFrame")) and value.args:
        return _ordered(value.args[0], depth + 1)
    return None


class ValidationSplitOnOrderedData(Rule):
    """
    ## What it does
    Finds `fit(..., validation_split=...)` on arrays the file shows are ordered: scikit-learn's
    `load_iris()`/`load_wine()` (samples grouped by class), `make_classification(shuffle=False)`,
    or a DataFrame sorted with `sort_values()` (followed through column selection and
    `to_numpy()`). A split made elsewhere (`train_test_split`, which shuffles), `validation_data=`,
    or arrays of unknown origin are left alone.

    Evidence: "wrong train/validation split" is a training-data fault of Humbatova et al.'s
    taxonomy (ICSE 2020), and "validation accuracy stuck at 0 on iris" is a recurring Stack
    Overflow question. False-alarm risk: low; the ordering must be visible in the same file.

    ## Why is this bad?
    Keras takes the validation set from the *last* fraction of the arrays, before any
    shuffling (`shuffle=True` only shuffles the training part). On data grouped by class the
    validation set holds one class the model never trains on: validation accuracy is zero or
    meaningless, and early stopping follows noise.

    ## Example
    ```python
    X, y = load_iris(return_X_y=True)
    model.fit(X, y, epochs=100, validation_split=0.2)
    ```

    ## Use instead
    ```python
    X, y = load_iris(return_X_y=True)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.2, stratify=y)
    model.fit(X_train, y_train, epochs=100, validation_data=(X_val, y_val))
    ```

    ## Fix safety
    No fix: how to split (stratified, by time, by group) is the author's call.
    """

    CODE = "KG023"
    NAME = "validation-split-on-ordered-data"
    SEVERITY = "warning"
    SUMMARY = "fit(validation_split=) on arrays ordered by class: the validation set is one class"

    def check(self, facts):
        for site in facts.calls:
            if site.method != "fit" or not isinstance(site.receiver, Model):
                continue
            split = site.kwargs.get("validation_split")
            if (
                not (isinstance(split, Const) and type(split.value) in (int, float))
                or not split.value
            ):
                continue
            values = [*fit_inputs(site)[:1], *fit_labels(site)[:1]]
            why = next((w for w in map(_ordered, values) if w), None)
            if why:
                yield Report(
                    site.node,
                    f"validation_split takes the last {split.value:g} of the arrays before "
                    f"shuffling, but {why}: the validation set is not representative",
                    "shuffle first, or split with train_test_split(..., stratify=y)",
                )

    VALID = (
        """
import keras
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split
X, y = load_iris(return_X_y=True)
X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.2, stratify=y)
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
model.fit(X_train, y_train, validation_data=(X_val, y_val))
""",
        """
import keras
from sklearn.datasets import load_breast_cancer
X, y = load_breast_cancer(return_X_y=True)
model = keras.Sequential([keras.Input(shape=(30,)), keras.layers.Dense(1, activation="sigmoid")])
model.fit(X, y, validation_split=0.2)
""",
        # Split after train_test_split, which shuffles.
        """
import keras
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split
X, y = load_iris(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
model.fit(X_train, y_train, validation_split=0.2)
""",
        """
import keras
from sklearn.datasets import make_classification
X, y = make_classification(n_samples=500, n_features=10)
model = keras.Sequential([keras.Input(shape=(10,)), keras.layers.Dense(1, activation="sigmoid")])
model.fit(X, y, validation_split=0.25)
""",
        """
import keras
from sklearn.datasets import load_iris
X, y = load_iris(return_X_y=True)
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
model.fit(X, y, epochs=50)
""",
        """
import keras
(x_train, y_train), _ = keras.datasets.mnist.load_data()
model = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
model.fit(x_train, y_train, validation_split=0.1)
""",
        """
import keras
import pandas as pd
df = pd.read_csv("data.csv").sample(frac=1.0)
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.fit(df[["a", "b", "c", "d"]].to_numpy(), df["y"].to_numpy(), validation_split=0.2)
""",
        """
import keras
from sklearn.datasets import load_wine
X, y = load_wine(return_X_y=True)
model = keras.Sequential([keras.Input(shape=(13,)), keras.layers.Dense(3, activation="softmax")])
model.fit(X, y, validation_split=0.0)
""",
        """
import keras
def train(model, x, y):
    model.fit(x, y, validation_split=0.2)
""",
        """
import keras
from sklearn.datasets import make_classification
X, y = make_classification(n_samples=500, n_features=10, shuffle=True)
model = keras.Sequential([keras.Input(shape=(10,)), keras.layers.Dense(1, activation="sigmoid")])
model.fit(X, y, validation_split=0.2)
""",
    )

    INVALID = (
        Invalid("""
import keras
from sklearn.datasets import load_iris
X, y = load_iris(return_X_y=True)
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(X, y, epochs=100, validation_split=0.2)
"""),
        Invalid("""
import keras
from sklearn.datasets import load_wine
X, y = load_wine(return_X_y=True)
model = keras.Sequential([keras.Input(shape=(13,)), keras.layers.Dense(3, activation="softmax")])
model.fit(X, y, validation_split=0.3, shuffle=True)
"""),
        Invalid("""
import keras
from sklearn.datasets import make_classification
X, y = make_classification(n_samples=500, n_features=10, shuffle=False)
model = keras.Sequential([keras.Input(shape=(10,)), keras.layers.Dense(1, activation="sigmoid")])
model.fit(X, y, validation_split=0.2)
"""),
        Invalid("""
import keras
import pandas as pd
df = pd.read_csv("reviews.csv").sort_values("label")
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1, activation="sigmoid")])
model.fit(df[["a", "b", "c", "d"]].to_numpy(), df["label"].to_numpy(), validation_split=0.2)
"""),
        Invalid("""
import keras
import numpy as np
from sklearn.datasets import load_iris
X, y = load_iris(return_X_y=True)
X = np.asarray(X, dtype="float32")
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
model.fit(X, y, validation_split=0.1)
"""),
        Invalid("""
import tensorflow as tf
from sklearn import datasets
X, y = datasets.load_iris(return_X_y=True)
model = tf.keras.Sequential([tf.keras.Input(shape=(4,)), tf.keras.layers.Dense(3, activation="softmax")])
model.fit(x=X, y=y, validation_split=0.25)
"""),
        Invalid("""
import keras
from sklearn.datasets import load_iris
def build():
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model
X, y = load_iris(return_X_y=True)
history = build().fit(X, y, validation_split=0.2, epochs=200)
"""),
        Invalid("""
import keras
import pandas as pd
data = pd.read_csv("sensor.csv")
data = data.sort_values(by="target")
model = keras.Sequential([keras.Input(shape=(6,)), keras.layers.Dense(1)])
model.fit(data.drop(columns=["target"]).to_numpy(), data["target"].to_numpy(), validation_split=0.2)
"""),
        Invalid("""
import keras
from sklearn.datasets import make_multilabel_classification
X, Y = make_multilabel_classification(n_samples=300, n_classes=5, shuffle=False)
model = keras.Sequential([keras.Input(shape=(20,)), keras.layers.Dense(5, activation="sigmoid")])
model.fit(X, Y, validation_split=0.2)
"""),
        Invalid("""
from keras.models import Sequential
from keras.layers import Dense, Input
from sklearn.datasets import load_iris
iris = load_iris(return_X_y=True)
X, y = iris
model = Sequential([Input(shape=(4,)), Dense(3, activation="softmax")])
model.fit(X, y, validation_split=0.33)
"""),
    )
