from __future__ import annotations

import re

from kgen.heads import CLASSIFICATION_METRICS, LINEAR, SOFTMAX
from kgen.lint.layers import ACTIVATION_LAYERS, VALUE_PRESERVING, activation_name
from kgen.lint.losses import loss_of
from kgen.lint.models import Const, Instance, Mapping, Seq
from kgen.lint.resolve import Ref
from kgen.lint.rule import Invalid, Report, Rule, string_in
from kgen.lint.targets import real_valued, trained_on

# Metrics that compare each predicted unit with its label: wrong against integer class ids.
_ELEMENTWISE = ("auc", "precision", "recall", "true_", "false_", "_at_")


def _metric_name(value) -> str | None:
    """`"acc"`, `keras.metrics.AUC()`, `keras.metrics.binary_accuracy` -> a snake-case name."""
    if isinstance(value, Const) and isinstance(value.value, str):
        return value.value if value.value.lower() not in ("accuracy", "acc") else "accuracy"
    if isinstance(value, (Ref, Instance)) and value.qualname.startswith("keras.metrics."):
        name = value.qualname.rpartition(".")[2]
        if name == "AUC":
            return "auc"
        name = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
        return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
    return None


def _mismatch(metric: str, loss) -> str | None:
    needs = CLASSIFICATION_METRICS.get(metric)
    if needs is None:
        return None
    if loss.output == LINEAR:
        return f"{metric} is a classification metric, but {loss.name} is a regression loss"
    if needs == "binary" and loss.output == SOFTMAX:
        return (
            f"binary_accuracy thresholds each of the softmax outputs of {loss.name}: "
            "it reports inflated accuracy"
        )
    if needs in ("int", "onehot") and loss.labels and needs != loss.labels:
        wanted = "integer" if needs == "int" else "one-hot"
        return (
            f"{metric} expects {wanted} labels, but {loss.name} is trained on {loss.labels} labels"
        )
    if loss.labels == "int" and metric.startswith(_ELEMENTWISE):
        return f"{metric} compares outputs unit by unit: wrong against the integer labels of {loss.name}"
    return None


def _probability_output(model) -> bool:
    """A single output ending in sigmoid/softmax: a classifier trained with a regression loss
    (old tutorials fit sigmoid outputs with mse), where accuracy still means something."""
    if len(model.outputs) != 1:
        return False
    node = model.outputs[0][1]
    while node is not None and node.kind == "layer":
        layer = node.layer
        if layer.kind in VALUE_PRESERVING:
            node = node.inputs[0] if len(node.inputs) == 1 else None
            continue
        if layer.kind in ACTIVATION_LAYERS:
            return ACTIVATION_LAYERS[layer.kind] == "softmax"
        return activation_name(layer.param("activation")) in ("sigmoid", "softmax")
    return False


def _pairs(compiled, model):
    """(output name, loss value, metrics value) per output: one loss for all, or dicts keyed
    alike."""
    loss, metrics = compiled.loss, compiled.metrics
    if isinstance(loss, Mapping) and isinstance(metrics, Mapping):
        losses = {k.value: v for k, v in loss.items if isinstance(k, Const)}
        for key, value in metrics.items:
            if isinstance(key, Const) and key.value in losses:
                yield key.value, losses[key.value], value
    elif not isinstance(loss, (Mapping, Seq)) and len(model.outputs) == 1:
        yield None, loss, metrics


def _exact_match(item) -> bool:
    """`keras.metrics.Accuracy`: counts predictions exactly equal to the target, which a
    real-valued (regression) output essentially never is, whatever the targets."""
    return isinstance(item, (Ref, Instance)) and item.qualname == "keras.metrics.Accuracy"


def _items(metrics):
    if isinstance(metrics, Seq):
        return metrics.items
    if isinstance(metrics, (Const, Instance, Ref)):
        return [metrics]
    return []


class MetricTaskMismatch(Rule):
    """
    ## What it does
    Checks each compiled metric against the task its loss implies, using the head/loss table
    (`kgen/heads.py`): accuracy, AUC, precision or recall on a regression loss; a sparse
    metric with one-hot labels (`categorical_crossentropy`) or a categorical one with integer
    labels (`sparse_categorical_crossentropy`); `binary_accuracy` on a softmax output; and
    unit-by-unit metrics (AUC, precision, recall) against integer class ids. Metrics and
    losses given as variables are left alone, and so is a regression loss on a sigmoid or
    softmax output (a classifier trained with `mse`, where accuracy still means something).

    A classification metric on a regression loss is reported only when it is provably
    meaningless: when the file shows the targets are real values (`keras.datasets.
    boston_housing`, `make_regression`, `np.random.normal`, a literal list of fractions), or
    for `keras.metrics.Accuracy`, an exact-equality count that a real-valued output never
    scores on. `loss="mse"` with `metrics=["accuracy"]` on 0/1 targets (or targets the file
    does not show) is a deliberate textbook choice: Keras turns `"accuracy"` into a binary
    accuracy there, and it means something.

    ## Why is this bad?
    The metric still prints a number, so nothing fails: `accuracy` of a regression counts
    predictions that land exactly on the target (about zero, or thresholded nonsense), and a
    categorical accuracy against integer labels compares argmaxes of the wrong arrays. Model
    selection and early stopping then follow a meaningless curve.

    ## Example
    ```python
    model.compile(optimizer="adam", loss="mse", metrics=["accuracy"])
    ```

    ## Use instead
    ```python
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    ```

    ## Fix safety
    No fix: which metric fits is the author's choice.
    """

    CODE = "KG012"
    NAME = "metric-task-mismatch"
    SEVERITY = "warning"
    SUMMARY = "A metric that does not fit the task its loss implies (accuracy on a regression)"

    def check(self, facts):
        for model in facts.models:
            for compiled in model.compiles:
                for output, loss_value, metrics in _pairs(compiled, model):
                    loss = loss_of(loss_value)
                    if loss is None:
                        continue
                    regression = loss[0].output == LINEAR
                    # A regression loss on 0/1 targets is a textbook binary classifier, where
                    # accuracy means something: only visibly real-valued targets prove it wrong.
                    real = regression and real_valued(trained_on(facts, model, output))
                    for item in _items(metrics):
                        metric = _metric_name(item)
                        problem = _mismatch(metric, loss[0]) if metric else None
                        if regression and not real and not _exact_match(item):
                            problem = None
                        if regression and _probability_output(model):
                            problem = None
                        if problem is None:
                            continue
                        where = (
                            string_in(compiled.call, item.value)
                            if isinstance(item, Const)
                            else item.call if isinstance(item, Instance) else compiled.call
                        )
                        yield Report(where, problem, _HINT[loss[0].output == LINEAR])

    VALID = (
        """
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
""",
        """
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
""",
        """
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1, activation="sigmoid")])
model.compile(
    optimizer="adam",
    loss="binary_crossentropy",
    metrics=["accuracy", keras.metrics.AUC(name="auc"), keras.metrics.Precision()],
)
""",
        """
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(5, activation="softmax")])
model.compile(loss="categorical_crossentropy", metrics=["categorical_accuracy", keras.metrics.AUC()])
""",
        """
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(5, activation="softmax")])
model.compile(
    loss=keras.losses.SparseCategoricalCrossentropy(),
    metrics=[keras.metrics.SparseCategoricalAccuracy(), keras.metrics.SparseTopKCategoricalAccuracy(k=3)],
)
""",
        # Multilabel: binary accuracy on sigmoid outputs is right.
        """
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(6, activation="sigmoid")])
model.compile(loss="binary_crossentropy", metrics=[keras.metrics.BinaryAccuracy(), "auc"])
""",
        # Regression metrics as objects.
        """
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.compile(loss=keras.losses.Huber(), metrics=[keras.metrics.RootMeanSquaredError(), keras.metrics.R2Score()])
""",
        # Unknown loss: silent.
        """
import keras
def compile_model(model, loss):
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
""",
        # Per-output dicts that agree.
        """
import keras
from keras import layers
inputs = keras.Input(shape=(8,))
a = layers.Dense(1, activation="sigmoid", name="a")(inputs)
b = layers.Dense(1, name="b")(inputs)
model = keras.Model(inputs, {"a": a, "b": b})
model.compile(loss={"a": "binary_crossentropy", "b": "mse"}, metrics={"a": ["accuracy"], "b": ["mae"]})
""",
        # A sigmoid output trained with mse (an old tutorial's binary classifier): accuracy
        # still means something.
        """
import keras
model = keras.Sequential([keras.Input(shape=(8,)), keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="sgd", loss="mean_squared_error", metrics=["accuracy"])
""",
        # The textbook choice: mse with accuracy on 0/1 targets (Keras uses binary accuracy).
        """
import keras
from sklearn.datasets import make_classification
X, y = make_classification(n_samples=1000, n_features=8)
model = keras.Sequential([keras.Input(shape=(8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse", metrics=["accuracy"])
model.fit(X, y, epochs=10)
""",
        """
import keras
import numpy as np
x = np.random.random((200, 4))
y = np.random.randint(0, 2, size=(200,))
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse", metrics=["binary_accuracy", keras.metrics.AUC()])
model.fit(x, y)
""",
        # Targets the file does not show: accuracy may well be meant.
        """
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse", metrics=["accuracy"])
""",
        # A custom loss is unknown.
        """
import keras
def my_loss(y_true, y_pred):
    return keras.ops.mean((y_true - y_pred) ** 2)
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.compile(loss=my_loss, metrics=["accuracy"])
""",
    )

    INVALID = (
        Invalid("""
import keras
(x_train, y_train), (x_test, y_test) = keras.datasets.boston_housing.load_data()
model = keras.Sequential([keras.Input(shape=(13,)), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=20, validation_data=(x_test, y_test))
"""),
        Invalid("""
import keras
from sklearn.datasets import make_regression
X, y = make_regression(n_samples=500, n_features=13, noise=0.1)
model = keras.Sequential([keras.Input(shape=(13,)), keras.layers.Dense(1)])
model.compile(optimizer="rmsprop", loss="mean_absolute_error", metrics=["mae", "acc"])
model.fit(X, y, epochs=10)
"""),
        Invalid("""
import tensorflow as tf
model = tf.keras.Sequential([tf.keras.Input(shape=(4,)), tf.keras.layers.Dense(1)])
model.compile(loss=tf.keras.losses.MeanSquaredError(), metrics=[tf.keras.metrics.Accuracy()])
"""),
        Invalid("""
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(10, activation="softmax")])
model.compile(loss="sparse_categorical_crossentropy", metrics=["categorical_accuracy"])
"""),
        Invalid("""
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(10, activation="softmax")])
model.compile(loss="categorical_crossentropy", metrics=[keras.metrics.SparseCategoricalAccuracy()])
"""),
        Invalid("""
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(10, activation="softmax")])
model.compile(loss="categorical_crossentropy", metrics=["binary_accuracy"])
"""),
        Invalid("""
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(10, activation="softmax")])
model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy", keras.metrics.Precision()])
"""),
        # Through a module constant.
        Invalid("""
import keras
import numpy as np
LOSS = "huber"
METRICS = ["mae", "accuracy"]
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss=LOSS, metrics=METRICS)
model.fit(np.random.random((100, 4)), np.random.normal(size=(100, 1)))
"""),
        # Per-output: accuracy on the regression output.
        Invalid("""
import keras
import numpy as np
from keras import layers
inputs = keras.Input(shape=(8,))
a = layers.Dense(1, activation="sigmoid", name="a")(inputs)
b = layers.Dense(1, name="b")(inputs)
model = keras.Model(inputs, {"a": a, "b": b})
model.compile(loss={"a": "binary_crossentropy", "b": "mse"}, metrics={"a": ["accuracy"], "b": ["accuracy"]})
model.fit(x, {"a": y_a, "b": np.random.randn(len(x))})
"""),
        # Built in a function, metric class reference, targets from a regression set.
        Invalid("""
import keras
from keras import layers
from sklearn.datasets import fetch_california_housing
def build():
    inputs = keras.Input(shape=(8,))
    model = keras.Model(inputs, layers.Dense(1)(inputs))
    model.compile(optimizer="adam", loss="mse", metrics=[keras.metrics.AUC()])
    return model
X, y = fetch_california_housing(return_X_y=True)
build().fit(X, y)
"""),
        Invalid("""
from keras.models import Sequential
from keras.layers import Dense
model = Sequential([Dense(1, input_dim=8)])
model.compile(loss="mean_squared_logarithmic_error", optimizer="adam", metrics=["accuracy"])
model.fit(X, [0.25, 0.5, 0.75, 1.5], epochs=10)
"""),
    )


_HINT = {
    True: "track a regression metric: mae, RootMeanSquaredError, R2Score",
    False: '"accuracy" picks the right accuracy for the loss by itself',
}
