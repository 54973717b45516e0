from __future__ import annotations

from kgen.lint.layers import VALUE_PRESERVING, activation_name, int_value
from kgen.lint.rule import Invalid, Report, Rule
from kgen.lint.targets import trained_on


def _dense_head(model):
    """(node, Dense layer, activation, units) of a single-output model ending in Dense."""
    if len(model.outputs) != 1:
        return None
    node = model.outputs[0][1]
    while node is not None and node.kind == "layer" and node.layer.kind in VALUE_PRESERVING:
        if node.layer.kind in ("Reshape", "Flatten", "RepeatVector", "Permute"):
            return None  # reshaped after the head: widths and ranks say nothing simple
        node = node.inputs[0] if len(node.inputs) == 1 else None
    if node is None or node.kind != "layer" or node.layer.kind != "Dense":
        return None
    layer = node.layer
    return node, layer, activation_name(layer.param("activation")), int_value(layer.param("units"))


def _width_problem(activation, units, labels) -> str | None:
    n = labels.classes
    if n is None or units is None or labels.kind not in ("int", "onehot"):
        return None
    if units == 1 and n > 2 and activation in ("sigmoid", "softmax"):
        return f"a one-unit {activation} head for {n} classes (labels from {labels.how})"
    if (
        activation == "softmax"
        and units > 1
        and (  # a one-unit softmax is KG001's
            (labels.kind == "onehot" and units != n) or (labels.kind == "int" and units < n)
        )
    ):
        return f"a softmax over {units} units for {n} classes (labels from {labels.how})"
    return None


class OutputLabelMismatch(Rule):
    """
    ## What it does
    Compares a single-output model's `Dense` head with the labels `fit()` receives, when the
    file shows where they come from (`keras.datasets`, `to_categorical(y, n)`,
    `np.random.randint(0, n, ...)`, `make_classification(n_classes=n)`, `make_blobs`, literal
    lists; `kgen/lint/targets.py`):
    a one-unit sigmoid/softmax head for more than two classes; a softmax whose width is not
    the number of one-hot columns, or is smaller than the number of integer classes; and a
    `Dense` head applied to a sequence (a rank-3 output, found by static shape inference)
    while the labels are one per sample: a missing `Flatten` or global pooling. Labels drawn
    one per time step (`size=(n, steps)`) are what a sequence output wants and are left alone.

    Evidence: "wrong number of output neurons" and "missing flatten/pooling layer" are
    model-layer faults of Humbatova et al.'s taxonomy (ICSE 2020) and frequent in Islam et
    al.'s Stack Overflow study (FSE 2019). False-alarm risk: low; the label source and the
    head must both be visible, and unknown labels keep the rule silent.

    ## Why is this bad?
    A one-unit head cannot separate four classes; a softmax narrower than the classes fails
    on the first label beyond it (or trains on garbage on GPU); a Dense head on a sequence
    predicts once per time step, so per-sample labels either fail to broadcast or are
    silently compared with every step.

    ## Example
    ```python
    y_train = keras.utils.to_categorical(y_train, 4)
    model = keras.Sequential([keras.Input((8,)), layers.Dense(1, activation="sigmoid")])
    ```

    ## Use instead
    ```python
    y_train = keras.utils.to_categorical(y_train, 4)
    model = keras.Sequential([keras.Input((8,)), layers.Dense(4, activation="softmax")])
    ```

    ## Fix safety
    No fix: the head, the labels or the missing pooling may be the mistake.
    """

    CODE = "KG017"
    NAME = "output-label-mismatch"
    SEVERITY = "error"
    SUMMARY = "The output head does not fit the labels (width vs classes, sequence vs sample)"

    def check(self, facts):
        for model in facts.models:
            head = _dense_head(model)
            labels = trained_on(facts, model) if head else []
            if not labels:
                continue
            node, layer, activation, units = head
            for found in labels:
                problem = _width_problem(activation, units, found)
                if problem:
                    yield Report(layer.call, problem, "give the head one unit per class")
                    break
            per_sample = [found for found in labels if found.per_sample]
            if not per_sample or len(per_sample) != len(labels):
                continue
            from kgen.lint.shapes import infer  # costs start-up time: only when needed

            shape = next((s.shape for s in infer(model) if s.node is node), None)
            if shape is not None and len(shape) == 2:
                yield Report(
                    layer.call,
                    "Dense head on a sequence: it predicts once per time step, but the labels "
                    f"(from {per_sample[0].how}) are one per sample",
                    "add Flatten() or a global pooling layer before the head, or return "
                    "only the last step from the RNN (return_sequences=False)",
                )

    VALID = (
        """
import keras
from keras import layers
(x_train, y_train), _ = keras.datasets.mnist.load_data()
model = keras.Sequential([keras.Input(shape=(28, 28)), layers.Flatten(), layers.Dense(10, activation="softmax")])
model.fit(x_train, y_train)
""",
        """
import keras
from keras import layers
(x_train, y_train), _ = keras.datasets.imdb.load_data(num_words=10000)
model = keras.Sequential([keras.Input(shape=(10000,)), layers.Dense(16, activation="relu"), layers.Dense(1, activation="sigmoid")])
model.fit(x_train, y_train)
""",
        """
import keras
import numpy as np
from keras import layers
x = np.random.random((500, 8))
y = keras.utils.to_categorical(np.random.randint(0, 4, size=(500,)), 4)
model = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(4, activation="softmax")])
model.fit(x, y)
""",
        # Labels one per time step: a sequence head is right.
        """
import keras
import numpy as np
from keras import layers
x = np.random.random((100, 20, 8))
y = np.random.randint(0, 5, size=(100, 20))
model = keras.Sequential([keras.Input(shape=(20, 8)), layers.LSTM(32, return_sequences=True), layers.Dense(5, activation="softmax")])
model.fit(x, y)
""",
        # Pooling before the head.
        """
import keras
import numpy as np
from keras import layers
x = np.random.random((100, 20, 8))
y = np.random.randint(0, 3, size=(100,))
model = keras.Sequential([keras.Input(shape=(20, 8)), layers.Conv1D(16, 3), layers.GlobalAveragePooling1D(), layers.Dense(3, activation="softmax")])
model.fit(x, y)
""",
        # make_classification's default two classes with a one-unit sigmoid.
        """
import keras
from sklearn.datasets import make_classification
X, y = make_classification(n_samples=500, n_features=10)
model = keras.Sequential([keras.Input(shape=(10,)), keras.layers.Dense(1, activation="sigmoid")])
model.fit(X, y)
""",
        # Labels of unknown origin.
        """
import keras
model = keras.Sequential([keras.Input(shape=(8,)), keras.layers.Dense(1, activation="sigmoid")])
model.fit(x, labels)
""",
        # A wider softmax than the integer classes trains (the extra units stay unused).
        """
import keras
from sklearn.datasets import load_iris
X, y = load_iris(return_X_y=True)
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(4, activation="softmax")])
model.fit(X, y)
""",
        # The last RNN returns one vector per sample.
        """
import keras
from keras import layers
(x_train, y_train), _ = keras.datasets.imdb.load_data(num_words=10000)
model = keras.Sequential([keras.Input(shape=(200,)), layers.Embedding(10000, 32), layers.LSTM(32), layers.Dense(1, activation="sigmoid")])
model.fit(x_train, y_train)
""",
        # A regression head on rank-3 with targets of unknown shape.
        """
import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(24, 3)), layers.GRU(16, return_sequences=True), layers.Dense(1)])
model.fit(windows, targets)
""",
    )

    INVALID = (
        Invalid("""
import keras
import numpy as np
from keras import layers
x = np.random.random((500, 8))
y = keras.utils.to_categorical(np.random.randint(0, 4, size=(500,)), 4)
model = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(16, activation="relu"), layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x, y)
"""),
        Invalid("""
import keras
from sklearn.datasets import make_classification
X, y = make_classification(n_samples=1000, n_features=20, n_classes=4, n_informative=6)
model = keras.Sequential([keras.Input(shape=(20,)), keras.layers.Dense(1, activation="softmax")])
model.fit(X, y)
"""),
        Invalid("""
import keras
from keras import layers
(x_train, y_train), _ = keras.datasets.cifar10.load_data()
model = keras.Sequential([keras.Input(shape=(32, 32, 3)), layers.Flatten(), layers.Dense(8, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x_train, y_train)
"""),
        Invalid("""
import keras
import numpy as np
from keras import layers
y = keras.utils.to_categorical(labels, num_classes=5)
model = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(4, activation="softmax")])
model.fit(features, y)
"""),
        Invalid("""
import keras
import numpy as np
x = np.array([[0.1, 0.2], [0.3, 0.1], [0.9, 0.8], [0.5, 0.5]])
y = np.array([0, 1, 2, 3])
model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, activation="sigmoid")])
model.fit(x, y)
"""),
        # A Dense head on an RNN sequence with one label per sample.
        Invalid("""
import keras
from keras import layers
(x_train, y_train), _ = keras.datasets.imdb.load_data(num_words=10000)
model = keras.Sequential([keras.Input(shape=(200,)), layers.Embedding(10000, 32), layers.LSTM(32, return_sequences=True), layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x_train, y_train)
"""),
        # Conv1D features without pooling.
        Invalid("""
import keras
import numpy as np
from keras import layers
x = np.random.random((100, 20, 8))
y = np.random.randint(0, 3, size=(100,))
model = keras.Sequential([keras.Input(shape=(20, 8)), layers.Conv1D(16, 3), layers.Dense(3, activation="softmax")])
model.fit(x, y)
"""),
        Invalid("""
import keras
from keras import layers
from sklearn.datasets import make_blobs
X, y = make_blobs(n_samples=300, centers=4, n_features=2)
inputs = keras.Input(shape=(2,))
outputs = layers.Dense(3, activation="softmax")(layers.Dense(8, activation="relu")(inputs))
model = keras.Model(inputs, outputs)
model.fit(X, y)
"""),
        Invalid("""
import keras
from keras import layers
(x_train, y_train), _ = keras.datasets.reuters.load_data(num_words=10000)
model = keras.Sequential([keras.Input(shape=(10000,)), layers.Dense(64, activation="relu"), layers.Dense(10, activation="softmax")])
model.fit(x_train, y_train)
"""),
        # Functional: a GRU sequence into the head, per-sample regression targets.
        Invalid("""
import keras
import numpy as np
from keras import layers
x = np.random.random((64, 30, 4))
y = np.random.randn(64)
inputs = keras.Input(shape=(30, 4))
h = layers.GRU(16, return_sequences=True)(inputs)
model = keras.Model(inputs, layers.Dense(1)(h))
model.fit(x, y)
"""),
    )
