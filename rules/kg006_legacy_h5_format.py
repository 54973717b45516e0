from __future__ import annotations

import libcst as cst

from kgen.lint.models import Const, Model
from kgen.lint.rule import Fix, Invalid, Report, Rule

_LEGACY = (".h5", ".hdf5")


def _path_argument(call: cst.Call, keyword: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg
    first = call.args[0] if call.args else None
    return first if first is not None and first.keyword is None and not first.star else None


def _renamed(arg: cst.Arg | None, old: str, new: str) -> tuple | None:
    """(string node, replacement) swapping the file suffix, for a plain string literal."""
    node = arg.value if arg is not None else None
    if not isinstance(node, cst.SimpleString) or not node.value.rstrip("\"'").endswith(old):
        return None
    quote = node.value[len(node.prefix) :][: 3 if node.value.endswith(('"""', "'''")) else 1]
    body = node.value[: -len(quote)]
    return node, node.with_changes(value=body[: -len(old)] + new + quote)


class _Strings(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: list[cst.SimpleString] = []

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        self.found.append(node)


def _everywhere(module: cst.Module, arg, old: str, new: str) -> tuple | None:
    """The suffix swap for the saved path and for every other literal of the same path in the
    file (its `load_model`/`load_weights`), so save and load keep agreeing; None (no fix) when
    the path also appears where a literal swap cannot reach (an f-string, a comment)."""
    first = _renamed(arg, old, new)
    if first is None:
        return None
    path = first[0].evaluated_value
    visitor = _Strings()
    module.visit(visitor)
    same = [n for n in visitor.found if n.evaluated_value == path]
    if module.code.count(path) != len(same):
        return None
    swaps = [_renamed(cst.Arg(node), old, new) for node in same]
    return None if None in swaps else tuple(swaps)


def _suffix(path: str, suffixes) -> str | None:
    return next((s for s in suffixes if path.lower().endswith(s)), None)


class LegacyH5Format(Rule):
    """
    ## What it does
    Finds `model.save(...)` and `ModelCheckpoint(...)` writing a whole model to `.h5`/`.hdf5`
    (or with `save_format="h5"`), and `save_weights(...)` (or a weights-only checkpoint) to a
    path that does not end in `.weights.h5`. Paths must be string literals or constants.

    ## Why is this bad?
    `.keras` is Keras 3's native format: one zip with the architecture, weights and optimizer
    state, loadable across backends. HDF5 model files are legacy: custom objects, some layers
    and the compile state do not round-trip, and `save_format=` is gone. Keras 3 refuses
    `save_weights()` to any path not ending in `.weights.h5` (a `ValueError` at the end of
    training, after the work is done).

    ## Example
    ```python
    model.save("model.h5")
    model.save_weights("weights.h5")
    ```

    ## Use instead
    ```python
    model.save("model.keras")
    model.save_weights("model.weights.h5")
    ```

    ## Fix safety
    The fix rewrites the suffix of the path literal (`.h5` -> `.keras`, or `.h5` ->
    `.weights.h5`) and of every other literal of the same path in the file (the
    `load_model`/`load_weights` that reads it back), so save and load keep agreeing. A path
    given as a variable or constant, or also written where a literal swap cannot reach (an
    f-string, a comment), gets no fix. It is unsafe: code in other files (a loader, a
    deployment script) may expect the old file name.
    """

    CODE = "KG006"
    NAME = "legacy-h5-format"
    SEVERITY = "warning"
    SUMMARY = "Model saved to legacy .h5/.hdf5; weights to a path not ending in .weights.h5"
    FIX = "unsafe"

    def check(self, facts):
        for site in facts.calls:
            if site.method in ("save", "save_weights") and isinstance(site.receiver, Model):
                yield from self._saved(facts.module, site.node, site.method, site.args, site.kwargs)
        for instance in facts.instances:
            if instance.qualname == "keras.callbacks.ModelCheckpoint":
                weights = instance.kwargs.get("save_weights_only") == Const(True)
                yield from self._saved(
                    facts.module,
                    instance.call,
                    "save_weights" if weights else "save",
                    instance.args,
                    instance.kwargs,
                )

    def _saved(self, module, call, method, args, kwargs):
        path = kwargs.get("filepath", args[0] if args else None)
        if not (isinstance(path, Const) and isinstance(path.value, str)):
            return
        arg = _path_argument(call, "filepath")
        if method == "save":
            if kwargs.get("save_format") == Const("h5"):
                yield Report(call, 'save_format="h5" is gone in Keras 3', "save to a .keras path")
                return
            old = _suffix(path.value, _LEGACY)
            if old is None:
                return
            swaps = _everywhere(module, arg, old, ".keras")
            yield Report(
                call,
                f"model saved to legacy HDF5 ({old}): use the native .keras format",
                "a .keras file holds architecture, weights and optimizer state",
                Fix("save to .keras", False, swaps) if swaps else None,
            )
        elif not path.value.endswith(".weights.h5"):
            old = _suffix(path.value, _LEGACY)
            swaps = _everywhere(module, arg, old, ".weights.h5") if old else None
            yield Report(
                call,
                "Keras 3 saves weights only to a path ending in .weights.h5 (ValueError)",
                "name the file like model.weights.h5",
                Fix("save to .weights.h5", False, swaps) if swaps else None,
            )

    VALID = (
        """
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.save("model.keras")
""",
        """
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.save_weights("model.weights.h5")
""",
        """
import keras
checkpoint = keras.callbacks.ModelCheckpoint("best.keras", save_best_only=True)
""",
        """
import keras
checkpoint = keras.callbacks.ModelCheckpoint(
    filepath="ckpt/epoch_{epoch:02d}.weights.h5", save_weights_only=True
)
""",
        # Unknown path: silent.
        """
import keras
def train(model_path):
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
    model.save(model_path)
""",
        # h5py and pandas writing HDF5 are not Keras saves.
        """
import h5py
import pandas as pd
df = pd.DataFrame()
df.to_hdf("data.h5", key="df")
with h5py.File("features.h5", "w") as f:
    f.create_dataset("x", data=[1, 2])
""",
        # Loading a legacy file is allowed.
        """
import keras
model = keras.models.load_model("old_model.h5")
""",
        # An unknown object's save().
        """
from PIL import Image
img = Image.new("RGB", (8, 8))
img.save("thumb.png")
""",
        """
import keras
MODEL_PATH = "artifacts/model.keras"
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.save(MODEL_PATH)
""",
        """
import tensorflow as tf
model = tf.keras.Sequential([tf.keras.Input(shape=(4,)), tf.keras.layers.Dense(1)])
model.export("saved_model_dir")
""",
    )

    INVALID = (
        # The load of the same file is renamed with the save.
        Invalid(
            """
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.save_weights("weights.hdf5")
model.load_weights("weights.hdf5")
""",
            """
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.save_weights("weights.weights.h5")
model.load_weights("weights.weights.h5")
""",
        ),
        Invalid(
            """
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.save("model.h5")
restored = keras.models.load_model("model.h5")
""",
            """
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.save("model.keras")
restored = keras.models.load_model("model.keras")
""",
        ),
        # A constant shared by save and load: no literal swap can keep them agreeing safely.
        Invalid("""
import keras
WEIGHTS = "weights.h5"
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.save_weights(WEIGHTS)
model.load_weights(WEIGHTS)
"""),
        # The same path also in an f-string: no fix.
        Invalid("""
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.save("model.h5")
print(f"saved to model.h5")
"""),
        Invalid(
            """
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.save("model.h5")
""",
            """
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.save("model.keras")
""",
        ),
        Invalid(
            """
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.save('checkpoints/final.hdf5')
""",
            """
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.save('checkpoints/final.keras')
""",
        ),
        Invalid(
            """
import keras
checkpoint = keras.callbacks.ModelCheckpoint("best_model.h5", save_best_only=True)
""",
            """
import keras
checkpoint = keras.callbacks.ModelCheckpoint("best_model.keras", save_best_only=True)
""",
        ),
        Invalid(
            """
from tensorflow.keras.callbacks import ModelCheckpoint
cb = ModelCheckpoint(filepath="weights.{epoch:02d}.hdf5", monitor="val_loss")
""",
            """
from tensorflow.keras.callbacks import ModelCheckpoint
cb = ModelCheckpoint(filepath="weights.{epoch:02d}.keras", monitor="val_loss")
""",
        ),
        Invalid(
            """
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.save_weights("weights.h5")
""",
            """
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.save_weights("weights.weights.h5")
""",
        ),
        # A TF-checkpoint-style prefix: no suffix to rewrite, reported only.
        Invalid("""
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.save_weights("checkpoints/my_checkpoint")
"""),
        Invalid(
            """
import keras
cb = keras.callbacks.ModelCheckpoint("best.h5", save_weights_only=True)
""",
            """
import keras
cb = keras.callbacks.ModelCheckpoint("best.weights.h5", save_weights_only=True)
""",
        ),
        # Path from a module constant: reported at the call, no fix.
        Invalid("""
import keras
MODEL_PATH = "model.h5"
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.save(MODEL_PATH)
"""),
        Invalid("""
import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.save("model_dir", save_format="h5")
"""),
        # Model built in a function.
        Invalid(
            """
import keras
from keras import layers
def build():
    inputs = keras.Input(shape=(8,))
    return keras.Model(inputs, layers.Dense(1)(inputs))
model = build()
model.save(filepath="regressor.h5")
""",
            """
import keras
from keras import layers
def build():
    inputs = keras.Input(shape=(8,))
    return keras.Model(inputs, layers.Dense(1)(inputs))
model = build()
model.save(filepath="regressor.keras")
""",
        ),
    )
