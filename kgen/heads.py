"""Which output layer goes with which loss, and which head each task gets.

This is the one copy of the Keras guide's §2 table: `kgen new` renders heads from it and the
KG001 lint rule checks models against it, so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

# What the last layer must output for a loss computed on probabilities (from_logits=False).
SIGMOID = "sigmoid"
SOFTMAX = "softmax"
LINEAR = "linear"


@dataclass(frozen=True)
class Loss:
    name: str  # the canonical string identifier, as Keras serialises it
    class_name: str  # the keras.losses class
    aliases: tuple[str, ...]  # other string identifiers Keras accepts for it
    output: str  # SIGMOID / SOFTMAX / LINEAR: the activation the last layer needs
    labels: str | None = None  # "int" or "onehot" where the loss dictates the label encoding


LOSSES: tuple[Loss, ...] = (
    Loss("binary_crossentropy", "BinaryCrossentropy", ("bce",), SIGMOID),
    Loss("binary_focal_crossentropy", "BinaryFocalCrossentropy", (), SIGMOID),
    Loss("categorical_crossentropy", "CategoricalCrossentropy", ("cce",), SOFTMAX, "onehot"),
    Loss("categorical_focal_crossentropy", "CategoricalFocalCrossentropy", (), SOFTMAX, "onehot"),
    Loss("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy", (), SOFTMAX, "int"),
    Loss("mean_squared_error", "MeanSquaredError", ("mse",), LINEAR),
    Loss("mean_absolute_error", "MeanAbsoluteError", ("mae",), LINEAR),
    Loss("mean_absolute_percentage_error", "MeanAbsolutePercentageError", ("mape",), LINEAR),
    Loss("mean_squared_logarithmic_error", "MeanSquaredLogarithmicError", ("msle",), LINEAR),
    Loss("huber", "Huber", (), LINEAR),
    Loss("log_cosh", "LogCosh", ("logcosh",), LINEAR),
)


def find_loss(identifier: str) -> Loss | None:
    """The loss a string identifier or class name refers to, or None when it is not in the table."""
    for loss in LOSSES:
        if identifier in (loss.name, loss.class_name, *loss.aliases):
            return loss
    return None


@dataclass(frozen=True)
class Metric:
    name: str  # the key it gets in history and in evaluate(return_dict=True)
    code: str  # how the generated script spells it in compile()


@dataclass(frozen=True)
class Head:
    task: str
    loss: Loss
    metrics: tuple[Metric, ...]
    labels: str  # the label format the script feeds: "binary", "int", "onehot", "khot", "values"

    @property
    def activation(self) -> str | None:
        """The last layer's activation; None for a linear (regression) output."""
        return None if self.loss.output == LINEAR else self.loss.output


TASKS = ("binary", "multiclass", "multilabel", "regression", "forecast", "tagging")
LABEL_ENCODINGS = ("int", "onehot")  # only multiclass lets the user choose


def head_for(task: str, labels: str = "int", per_step: bool = False) -> Head:
    """The head `kgen new` generates for a task (and, for multiclass, a label encoding; for
    regression, whether it predicts a value per time step)."""
    accuracy = Metric("accuracy", '"accuracy"')
    auc = Metric("auc", 'keras.metrics.AUC(name="auc")')
    mae = Metric("mae", 'keras.metrics.MeanAbsoluteError(name="mae")')
    if task == "binary":
        return Head(task, find_loss("binary_crossentropy"), (accuracy, auc), "binary")
    if task == "multiclass":
        loss = (
            "categorical_crossentropy" if labels == "onehot" else "sparse_categorical_crossentropy"
        )
        return Head(task, find_loss(loss), (accuracy,), labels)
    if task == "multilabel":
        metrics = (
            Metric("binary_accuracy", 'keras.metrics.BinaryAccuracy(name="binary_accuracy")'),
            Metric("auc", 'keras.metrics.AUC(multi_label=True, name="auc")'),
            Metric("precision", 'keras.metrics.Precision(name="precision")'),
            Metric("recall", 'keras.metrics.Recall(name="recall")'),
        )
        return Head(task, find_loss("binary_crossentropy"), metrics, "khot")
    if task == "regression" and per_step:  # R2Score takes one value per sample, not per step
        return Head(task, find_loss("mean_squared_error"), (mae,), "values")
    if task == "regression":
        metrics = (
            mae,
            Metric("r2", 'keras.metrics.R2Score(name="r2")'),  # 0 = no better than the mean
        )
        return Head(task, find_loss("mean_squared_error"), metrics, "values")
    if task == "forecast":  # several future steps per target: (HORIZON, targets) outputs
        return Head(task, find_loss("mean_squared_error"), (mae,), "values")
    if task == "tagging":  # a class per time step: (steps, classes) softmax outputs
        return Head(task, find_loss("sparse_categorical_crossentropy"), (accuracy,), "int")
    raise ValueError(f"unknown task {task!r}")


# What a metric assumes about the task, for the metric-task-mismatch lint rule (KG012):
# "classes" needs a classification loss; "int"/"onehot" also a label encoding (the `labels` of
# the loss); "binary" a sigmoid output (thresholded at 0.5 per unit).
CLASSIFICATION_METRICS = {
    "accuracy": "classes", "acc": "classes",
    "auc": "classes", "precision": "classes", "recall": "classes",
    "f1_score": "classes", "f_beta_score": "classes",
    "precision_at_recall": "classes", "recall_at_precision": "classes",
    "sensitivity_at_specificity": "classes", "specificity_at_sensitivity": "classes",
    "true_positives": "classes", "true_negatives": "classes",
    "false_positives": "classes", "false_negatives": "classes",
    "binary_accuracy": "binary",
    "categorical_accuracy": "onehot", "top_k_categorical_accuracy": "onehot",
    "sparse_categorical_accuracy": "int", "sparse_top_k_categorical_accuracy": "int",
}  # fmt: skip
