from __future__ import annotations

from kgen.lint.losses import loss_of
from kgen.lint.models import Model
from kgen.lint.rule import Invalid, Report, Rule
from kgen.lint.targets import describe, fit_labels


class LabelEncodingMismatch(Rule):
    """
    ## What it does
    Follows the labels passed to `fit()` back to where they were made, when that is visible
    in the file: one-hot labels (`keras.utils.to_categorical`, `tf.one_hot`, `pd.get_dummies`,
    `np.eye(n)[y]`, scikit-learn's `OneHotEncoder`) fed to `sparse_categorical_crossentropy`,
    or integer class ids (`np.argmax`, `LabelEncoder`, `np.random.randint`, a literal list,
    scikit-learn's `make_classification`/`make_blobs`/`load_iris`..., the labels of
    `keras.datasets.mnist`/`cifar10`/...) fed to `categorical_crossentropy`. Labels are
    followed through plain assignments, `.astype()`/`.reshape()` and `train_test_split`
    (`kgen/lint/targets.py`); anything else (slicing, a function's parameter) stays unknown
    and silent. Which encoding a loss wants comes from the head/loss table in `kgen/heads.py`.

    ## Why is this bad?
    The sparse loss wants one integer per sample; the categorical one wants one column per
    class. The wrong pairing either fails with a shape error at the first batch, or, when the
    shapes happen to broadcast, trains against the wrong target.

    ## Example
    ```python
    y_train = keras.utils.to_categorical(y_train, 10)
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    model.fit(x_train, y_train)
    ```

    ## Use instead
    ```python
    model.compile(loss="categorical_crossentropy", optimizer="adam")  # one-hot labels
    model.fit(x_train, y_train)
    ```

    ## Fix safety
    No fix: either the loss or the label encoding must change, and that is the author's call.
    """

    CODE = "KG010"
    NAME = "label-encoding-mismatch"
    SEVERITY = "error"
    SUMMARY = "One-hot labels with a sparse loss, or integer labels with categorical_crossentropy"

    def check(self, facts):
        for site in facts.calls:
            model = site.receiver
            if site.method != "fit" or not isinstance(model, Model) or len(model.outputs) != 1:
                continue
            found = [loss_of(compiled.loss) for compiled in model.compiles]
            losses = {id(loss[0]): loss[0] for loss in found if loss is not None}
            if len(losses) != 1 or None in found:
                continue  # no compile() seen, an unknown loss, or two different losses
            (loss,) = losses.values()
            if loss.labels is None:
                continue
            for labels in fit_labels(site):
                found = describe(labels)
                if found is None or found.kind not in ("int", "onehot"):
                    continue
                if found.kind == loss.labels:
                    continue
                encoding, how = found.kind, found.how
                if encoding == "onehot":
                    message = (
                        f"labels one-hot encoded by {how} fed to {loss.name}, "
                        "which expects integer class ids"
                    )
                    hint = "use categorical_crossentropy with one-hot labels"
                else:
                    message = (
                        f"integer labels (from {how}) fed to {loss.name}, "
                        "which expects one-hot labels"
                    )
                    hint = "use sparse_categorical_crossentropy with integer labels"
                yield Report(site.node, message, hint)

    VALID = (
        """
import keras
(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
model = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
model.fit(x_train, y_train, epochs=1)
""",
        """
import keras
(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
y_train = keras.utils.to_categorical(y_train, 10)
model = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
model.compile(loss="categorical_crossentropy", optimizer="adam")
model.fit(x_train, y_train, epochs=1)
""",
        # Labels of unknown origin.
        """
import keras
def train(x, y):
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    model.fit(x, y)
""",
        """
import keras
import numpy as np
y = np.random.randint(0, 3, size=100)
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
model.fit(np.zeros((100, 4)), y)
""",
        """
import keras
from sklearn.preprocessing import LabelEncoder
y = LabelEncoder().fit_transform(labels)
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
model.compile(loss=keras.losses.SparseCategoricalCrossentropy(), optimizer="adam")
model.fit(features, y)
""",
        # Binary loss: the encoding table says nothing.
        """
import keras
(x_train, y_train), _ = keras.datasets.imdb.load_data(num_words=10000)
model = keras.Sequential([keras.Input(shape=(10000,)), keras.layers.Dense(1, activation="sigmoid")])
model.compile(loss="binary_crossentropy", optimizer="adam")
model.fit(x_train, y_train)
""",
        # One-hot through train_test_split, with the matching loss.
        """
import keras
from sklearn.model_selection import train_test_split
y = keras.utils.to_categorical(labels)
x_train, x_test, y_train, y_test = train_test_split(features, y, test_size=0.2)
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
model.compile(loss="categorical_crossentropy", optimizer="adam")
model.fit(x_train, y_train, validation_data=(x_test, y_test))
""",
        # Relabelled in between: unknown.
        """
import keras
import numpy as np
(x_train, y_train), _ = keras.datasets.cifar10.load_data()
y_train = keras.utils.to_categorical(y_train)
y_train = np.squeeze(y_train)
model = keras.Sequential([keras.Input(shape=(32, 32, 3)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
model.fit(x_train, y_train)
""",
        # Argmax back to integers for the sparse loss.
        """
import keras
import numpy as np
y_int = np.argmax(y_onehot, axis=1)
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
model.fit(x, y_int)
""",
        # scikit-learn's generated classes with the sparse loss.
        """
import keras
from sklearn.datasets import make_classification
X, y = make_classification(n_samples=1000, n_features=20, n_classes=4, n_informative=6)
model = keras.Sequential([keras.Input(shape=(20,)), keras.layers.Dense(4, activation="softmax")])
model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
model.fit(X, y, epochs=5)
""",
        # np.eye(n)[y] one-hot with the categorical loss.
        """
import keras
import numpy as np
from sklearn.datasets import make_blobs
X, y = make_blobs(n_samples=500, centers=3, n_features=2)
Y = np.eye(3)[y]
model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(3, activation="softmax")])
model.compile(loss="categorical_crossentropy", optimizer="adam")
model.fit(X, Y, epochs=5)
""",
        # A loss chosen at run time.
        """
import keras
(x_train, y_train), _ = keras.datasets.mnist.load_data()
def run(loss):
    model = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    model.compile(loss=loss, optimizer="adam")
    model.fit(x_train, y_train)
""",
    )

    INVALID = (
        Invalid("""
import keras
(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
y_train = keras.utils.to_categorical(y_train, 10)
model = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
model.fit(x_train, y_train, epochs=1)
"""),
        Invalid("""
import keras
(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
model = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
model.compile(loss="categorical_crossentropy", optimizer="adam")
model.fit(x_train, y_train, epochs=1)
"""),
        Invalid("""
from tensorflow import keras
(x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
model = keras.Sequential([keras.Input(shape=(32, 32, 3)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
model.compile(loss=keras.losses.CategoricalCrossentropy(), optimizer="adam")
model.fit(x_train, y_train)
"""),
        Invalid("""
import keras
import tensorflow as tf
y = tf.one_hot(labels, depth=5)
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(5, activation="softmax")])
model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
model.fit(x, y)
"""),
        Invalid("""
import keras
import pandas as pd
y = pd.get_dummies(df["species"])
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
model.fit(x, y)
"""),
        Invalid("""
import keras
from sklearn.preprocessing import OneHotEncoder
encoder = OneHotEncoder(sparse_output=False)
y = encoder.fit_transform(labels.reshape(-1, 1))
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
model.fit(x, y)
"""),
        # Through train_test_split.
        Invalid("""
import keras
from sklearn.model_selection import train_test_split
from keras.utils import to_categorical
y = to_categorical(labels)
x_train, x_test, y_train, y_test = train_test_split(features, y, test_size=0.2)
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
model.fit(x_train, y_train)
"""),
        # Integer ids from LabelEncoder, categorical loss.
        Invalid("""
import keras
from sklearn.preprocessing import LabelEncoder
y = LabelEncoder().fit_transform(labels)
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
model.compile(loss="categorical_crossentropy", optimizer="adam")
model.fit(features, y)
"""),
        # Only the validation labels are one-hot.
        Invalid("""
import keras
(x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
y_test = keras.utils.to_categorical(y_test)
model = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
model.fit(x_train, y_train, validation_data=(x_test, y_test))
"""),
        # scikit-learn's make_classification gives class ids.
        Invalid("""
import keras
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
X, y = make_classification(n_samples=1000, n_features=20, n_classes=3, n_informative=5)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)
model = keras.Sequential([keras.Input(shape=(20,)), keras.layers.Dense(3, activation="softmax")])
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(X_train, y_train, epochs=10, validation_data=(X_test, y_test))
"""),
        # np.eye(n)[y] is one-hot.
        Invalid("""
import keras
import numpy as np
from sklearn.datasets import make_blobs
X, y = make_blobs(n_samples=500, centers=4, n_features=2)
y = np.eye(4)[y]
model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(4, activation="softmax")])
model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
model.fit(X, y, epochs=5)
"""),
        # A literal list of class ids.
        Invalid("""
import keras
import numpy as np
x = np.array([[0.1, 0.2], [0.3, 0.1], [0.9, 0.8], [0.5, 0.5]])
y = np.array([0, 1, 2, 1])
model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(3, activation="softmax")])
model.compile(loss="categorical_crossentropy", optimizer="sgd")
model.fit(x, y, epochs=100)
"""),
        # Random class ids, cast to float on the way.
        Invalid("""
import keras
import numpy as np
x = np.random.random((256, 8))
y = np.random.randint(0, 5, size=(256,)).astype("float32")
model = keras.Sequential([keras.Input(shape=(8,)), keras.layers.Dense(5, activation="softmax")])
model.compile(loss="categorical_crossentropy", optimizer="adam")
model.fit(x, y)
"""),
        # Keyword y=, model built in a function, loss from a constant.
        Invalid("""
import keras
import numpy as np
LOSS = "categorical_crossentropy"
def build():
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(loss=LOSS, optimizer="adam")
    return model
y_ids = np.argmax(y_probs, axis=-1)
model = build()
model.fit(x=x, y=y_ids, epochs=3)
"""),
    )
