"""What a file shows of the labels a model is trained on: followed from `fit()` back to where
they were made (a `keras.datasets` load, NumPy, scikit-learn, a literal), through plain
assignments, `train_test_split` and value-keeping methods (`.astype`, `.reshape`).

Anything else (a slice, a function's parameter, a file read) is unknown: rules stay silent.
"""

from __future__ import annotations

from typing import NamedTuple

from kgen.lint.models import Const, Item, Mapping, Model, Result, Seq


class Labels(NamedTuple):
    kind: str  # "int" (class ids), "onehot", "unit" (values in [0, 1]), "continuous"
    how: str  # where they come from, for messages
    classes: int | None = None  # number of classes, when the file shows it
    per_sample: bool = True  # False: one label per time step (a sequence target)


# Calls whose result is one-hot (one column per class); the argument giving the class count.
_ONE_HOT = {
    "keras.utils.to_categorical": ("to_categorical", "num_classes", 1),
    "keras.utils.np_utils.to_categorical": ("to_categorical", "num_classes", 1),
    "tensorflow.one_hot": ("tf.one_hot", "depth", 1),
    "keras.ops.one_hot": ("keras.ops.one_hot", "num_classes", 1),
    "pandas.get_dummies": ("pd.get_dummies", None, None),
    "sklearn.preprocessing.OneHotEncoder.fit_transform": ("OneHotEncoder", None, None),
    "sklearn.preprocessing.OneHotEncoder.fit_transform.toarray": ("OneHotEncoder", None, None),
    "sklearn.preprocessing.OneHotEncoder.transform": ("OneHotEncoder", None, None),
    "sklearn.preprocessing.OneHotEncoder.transform.toarray": ("OneHotEncoder", None, None),
}
_INTEGER = {
    "numpy.argmax": "np.argmax",
    "sklearn.preprocessing.LabelEncoder.fit_transform": "LabelEncoder",
    "sklearn.preprocessing.LabelEncoder.transform": "LabelEncoder",
}
_UNIT = {"numpy.random.random": "np.random.random", "numpy.random.rand": "np.random.rand"}
_CONTINUOUS = {
    "numpy.random.randn": "np.random.randn",
    "numpy.random.normal": "np.random.normal",
    "numpy.random.standard_normal": "np.random.standard_normal",
}
# keras.datasets: (x, y) pairs whose y are class ids (with their class count) or real values.
_DATASET_CLASSES = {
    "mnist": 10,
    "fashion_mnist": 10,
    "cifar10": 10,
    "cifar100": 100,
    "reuters": 46,
    "imdb": 2,
}
_DATASET_VALUES = ("boston_housing", "california_housing")
# scikit-learn generators and loaders returning (X, y): class count (or its keyword, default).
_SKLEARN_CLASSES = {
    "sklearn.datasets.make_classification": ("n_classes", 2),
    "sklearn.datasets.make_blobs": ("centers", 3),
    "sklearn.datasets.make_moons": (None, 2),
    "sklearn.datasets.make_circles": (None, 2),
    "sklearn.datasets.load_iris": (None, 3),
    "sklearn.datasets.load_wine": (None, 3),
    "sklearn.datasets.load_digits": (None, 10),
    "sklearn.datasets.load_breast_cancer": (None, 2),
}
_SKLEARN_VALUES = (
    "sklearn.datasets.make_regression",
    "sklearn.datasets.make_friedman1",
    "sklearn.datasets.load_diabetes",
    "sklearn.datasets.fetch_california_housing",
)
_SPLIT = "sklearn.model_selection.train_test_split"


def _int(value) -> int | None:
    if isinstance(value, Const) and type(value.value) is int:
        return value.value
    return None


def _argument(result: Result, keyword: str | None, position: int | None):
    if keyword and keyword in result.kwargs:
        return result.kwargs[keyword]
    if position is not None and position < len(result.args):
        return result.args[position]
    return None


def _literal(value) -> Labels | None:
    """A literal list of labels: `[0, 1, 3, 2]` (class ids) or `[0.2, 0.9]` (a rate)."""
    items = value.items if isinstance(value, Seq) else None
    if not items or not all(isinstance(i, Const) and type(i.value) in (int, float) for i in items):
        return None
    numbers = [i.value for i in items]
    if all(type(n) is int and n >= 0 for n in numbers):
        return Labels("int", "a literal list", max(numbers) + 1)
    if all(0 <= n <= 1 for n in numbers):
        return Labels("unit", "a literal list")
    return Labels("continuous", "a literal list")


def _randint(result: Result) -> Labels | None:
    """`np.random.randint(0, 4, size=(n,))`: class ids, one per sample unless `size` is 2-D."""
    low, high = _argument(result, "low", 0), _argument(result, "high", 1)
    if high is None and "high" not in result.kwargs:
        low, high = Const(0), low  # randint(4, size=n) draws from [0, 4)
    if _int(low) != 0 or _int(high) is None:
        return None
    size = _argument(result, "size", 2)
    per_sample = not (isinstance(size, Seq) and len(size.items) > 1)
    return Labels("int", "np.random.randint", _int(high), per_sample)


def describe(value, depth: int = 0) -> Labels | None:
    """What these labels are, when their origin is visible in the file; None otherwise."""
    if depth > 8:
        return None
    if isinstance(value, Seq):
        return _literal(value)
    if isinstance(value, Result):
        return _result(value, depth)
    if isinstance(value, Item):
        return _item(value, depth)
    return None


def _result(value: Result, depth: int) -> Labels | None:
    name = value.qualname
    if name in _ONE_HOT:
        how, keyword, position = _ONE_HOT[name]
        classes = _int(_argument(value, keyword, position)) if keyword else None
        if classes is None and value.args:
            inner = describe(value.args[0], depth + 1)
            classes = inner.classes if inner is not None and inner.kind == "int" else None
        return Labels("onehot", how, classes)
    if name in _INTEGER:
        return Labels("int", _INTEGER[name])
    if name in _UNIT:
        return Labels("unit", _UNIT[name])
    if name in _CONTINUOUS:
        return Labels("continuous", _CONTINUOUS[name])
    if name == "numpy.random.randint":
        return _randint(value)
    if name in ("numpy.array", "numpy.asarray") and value.args:
        return describe(value.args[0], depth + 1)
    if name in ("numpy.eye[]", "numpy.identity[]") and len(value.args) == 2:
        classes = _int(value.args[0].args[0]) if value.args[0].args else None
        return Labels("onehot", "np.eye(n)[y]", classes)
    return None


def _item(value: Item, depth: int) -> Labels | None:
    source = value.of
    if isinstance(source, Result) and source.qualname == _SPLIT:
        arrays = [a for a in source.args if not isinstance(a, (Seq, Mapping))]
        if len(arrays) == len(source.args) and value.index // 2 < len(arrays):
            return describe(arrays[value.index // 2], depth + 1)
        return None
    if isinstance(source, Result) and value.index == 1:  # X, y = make_classification(...)
        if source.qualname in _SKLEARN_CLASSES:
            keyword, default = _SKLEARN_CLASSES[source.qualname]
            given = source.kwargs.get(keyword) if keyword else None
            classes = default if given is None else _int(given)
            return Labels("int", source.qualname.rpartition(".")[2], classes)
        if source.qualname in _SKLEARN_VALUES:
            return Labels("continuous", source.qualname.rpartition(".")[2])
    # (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    if value.index == 1 and isinstance(source, Item) and isinstance(source.of, Result):
        qualname = source.of.qualname
        for name, classes in _DATASET_CLASSES.items():
            if qualname == f"keras.datasets.{name}.load_data":
                return Labels("int", f"keras.datasets.{name}", classes)
        for name in _DATASET_VALUES:
            if qualname == f"keras.datasets.{name}.load_data":
                return Labels("continuous", f"keras.datasets.{name}")
    return None


def fit_labels(site) -> list:
    """The label arrays a `fit()` call passes: `y` and the validation labels."""
    found = [site.kwargs.get("y", site.args[1] if len(site.args) > 1 else None)]
    validation = site.kwargs.get("validation_data")
    if isinstance(validation, Seq) and len(validation.items) >= 2:
        found.append(validation.items[1])
    return [value for value in found if value is not None]


def trained_on(facts, model: Model, output: str | None = None) -> list[Labels]:
    """Every visible description of the labels a model is fitted on: for one output, or for
    the output named `output` when the labels are a dict keyed by output name."""
    found = []
    for site in facts.calls:
        if site.method != "fit" or site.receiver is not model:
            continue
        for value in fit_labels(site):
            if isinstance(value, Mapping) and output is not None:
                value = next(
                    (v for k, v in value.items if isinstance(k, Const) and k.value == output),
                    None,
                )
            elif len(model.outputs) != 1:
                continue
            described = describe(value)
            if described is not None:
                found.append(described)
    return found


def real_valued(labels: list[Labels]) -> bool:
    """Whether the file shows real-valued targets (not class ids, not 0/1)."""
    return any(label.kind in ("continuous", "unit") for label in labels)


def scaled_by(value, depth: int = 0) -> tuple[float, object] | None:
    """(divisor, the array divided) for `array / 255`-style values, followed like labels."""
    if depth > 8:
        return None
    if isinstance(value, Result):
        if value.qualname == "operator.divide" and len(value.args) == 2:
            divisor = value.args[1]
            if isinstance(divisor, Const) and type(divisor.value) in (int, float):
                return float(divisor.value), value.args[0]
        if value.qualname in ("numpy.array", "numpy.asarray") and value.args:
            return scaled_by(value.args[0], depth + 1)
    if isinstance(value, Item) and isinstance(value.of, Result) and value.of.qualname == _SPLIT:
        arrays = value.of.args
        if value.index // 2 < len(arrays):
            return scaled_by(arrays[value.index // 2], depth + 1)
    return None


def fit_inputs(site) -> list:
    """The input arrays a `fit()` call passes: `x` and the validation inputs."""
    found = [site.kwargs.get("x", site.args[0] if site.args else None)]
    validation = site.kwargs.get("validation_data")
    if isinstance(validation, Seq) and len(validation.items) >= 2:
        found.append(validation.items[0])
    return [value for value in found if value is not None]
