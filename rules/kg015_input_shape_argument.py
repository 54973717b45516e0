from __future__ import annotations

import libcst as cst

from kgen.lint.models import Seq
from kgen.lint.resolve import Ref
from kgen.lint.rule import Fix, Invalid, Report, Rule

_NO_SPACE = cst.AssignEqual(
    whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
)


def _shape_argument(layer):
    """The `input_shape=`/`input_dim=` argument a layer gets, if any (Embedding's
    `input_dim` is its vocabulary size, not a shape)."""
    for arg in layer.call.args:
        if arg.keyword is None:
            continue
        name = arg.keyword.value
        if name == "input_shape" or (name == "input_dim" and layer.kind != "Embedding"):
            return arg
    return None


def _without(call: cst.Call, arg: cst.Arg) -> cst.Call:
    args = list(call.args)
    index = args.index(arg)
    if index == len(args) - 1 and index > 0:  # the new last argument keeps the old one's comma
        args[index - 1] = args[index - 1].with_changes(comma=arg.comma)
    del args[index]
    return call.with_changes(args=args)


class InputShapeArgument(Rule):
    """
    ## What it does
    Finds `input_shape=` (and `input_dim=`, except on `Embedding`, where it is the vocabulary
    size) passed to a layer.

    ## Why is this bad?
    Keras 3 still accepts the argument on the first layer of a `Sequential` model but warns
    that it is deprecated: the model's input is meant to be explicit, `keras.Input(shape=...)`,
    which also makes the model built (with a summary and known shapes) before it is called.
    On any other layer the argument is silently ignored.

    ## Example
    ```python
    model = keras.Sequential([
        layers.Dense(64, activation="relu", input_shape=(20,)),
        layers.Dense(1),
    ])
    ```

    ## Use instead
    ```python
    model = keras.Sequential([
        keras.Input(shape=(20,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(1),
    ])
    ```

    ## Fix safety
    Safe, offered for the first layer of a `Sequential([...])` list: the fix inserts
    `keras.Input(shape=...)` (spelled through the same module as the layer) before it and
    removes the argument; the model is the same. Elsewhere only the finding is reported.
    """

    CODE = "KG015"
    NAME = "input-shape-argument"
    SEVERITY = "info"
    SUMMARY = "input_shape=/input_dim= on a layer; start the model with keras.Input(shape=...)"
    FIX = "safe"

    def check(self, facts):
        firsts = {}
        for model in facts.models:
            items = model.call.args[0].value if model.call.args else None
            if model.kind == "sequential" and isinstance(items, cst.List) and items.elements:
                firsts[id(items.elements[0].value)] = items
        for layer in facts.instances:
            if not layer.kind:
                continue
            arg = _shape_argument(layer)
            if arg is None:
                continue
            name = arg.keyword.value
            listing = firsts.get(id(layer.call))
            yield Report(
                arg,
                f"{name}= on {layer.kind}: start the model with keras.Input(shape=...) instead",
                "Keras 3 deprecates input shapes on layers (and ignores them past the first)",
                self._fix(facts, layer, arg, listing) if listing is not None else None,
            )

    @staticmethod
    def _fix(facts, layer, arg, listing: cst.List) -> Fix | None:
        func = layer.call.func
        if isinstance(func, cst.Attribute):
            input_func = func.with_changes(attr=cst.Name("Input"))
        elif facts.scope.lookup("Input") in (Ref("keras.layers.Input"), Ref("keras.Input")):
            input_func = cst.Name("Input")
        else:
            return None
        shape = arg.value
        if arg.keyword.value == "input_dim":
            shape = cst.Tuple([cst.Element(shape, comma=cst.Comma())])
        elif not isinstance(layer.kwargs.get("input_shape"), Seq) and not isinstance(
            shape, (cst.Name, cst.Attribute, cst.BinaryOperation)
        ):
            return None
        first = listing.elements[0]
        comma = (
            first.comma
            if isinstance(first.comma, cst.Comma)
            else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        )
        made = cst.Call(input_func, [cst.Arg(shape, keyword=cst.Name("shape"), equal=_NO_SPACE)])
        elements = [
            cst.Element(made, comma=comma),
            first.with_changes(value=_without(layer.call, arg)),
            *listing.elements[1:],
        ]
        return Fix(
            "start with an Input", True, ((listing, listing.with_changes(elements=elements)),)
        )

    VALID = (
        """
import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(20,)), layers.Dense(1)])
""",
        """
import keras
from keras import layers
inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(32, 3)(inputs)
""",
        # Embedding's input_dim is the vocabulary size.
        """
from keras import layers
x = layers.Embedding(input_dim=20000, output_dim=128)
""",
        # keras.applications take input_shape= legitimately.
        """
import keras
base = keras.applications.MobileNetV2(input_shape=(160, 160, 3), include_top=False, weights=None)
""",
        # A function's own parameter named input_shape.
        """
import keras
from keras import layers
def make_model(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)
    return keras.Model(inputs, layers.Dense(num_classes)(inputs))
model = make_model(input_shape=(180, 180, 3), num_classes=2)
""",
        """
import keras
model = keras.Sequential()
model.add(keras.Input(shape=(8,)))
model.add(keras.layers.Dense(4))
""",
        """
import tensorflow as tf
inputs = tf.keras.Input(shape=(None, 16))
x = tf.keras.layers.LSTM(32)(inputs)
""",
        """
from keras.layers import Input, Dense
inputs = Input(shape=(10,))
outputs = Dense(1)(inputs)
""",
        """
import keras
layer = keras.layers.InputLayer(shape=(32,))
""",
        """
import keras
x = keras.layers.Embedding(1000, 64, input_length=100)
""",
    )

    INVALID = (
        Invalid(
            """
import keras
from keras import layers
model = keras.Sequential([
    layers.Dense(64, activation="relu", input_shape=(20,)),
    layers.Dense(1),
])
""",
            """
import keras
from keras import layers
model = keras.Sequential([
    layers.Input(shape=(20,)),
    layers.Dense(64, activation="relu"),
    layers.Dense(1),
])
""",
        ),
        Invalid(
            """
from tensorflow import keras
model = keras.Sequential([keras.layers.Flatten(input_shape=(28, 28)), keras.layers.Dense(10)])
""",
            """
from tensorflow import keras
model = keras.Sequential([keras.layers.Input(shape=(28, 28)), keras.layers.Flatten(), keras.layers.Dense(10)])
""",
        ),
        Invalid(
            """
from keras.models import Sequential
from keras.layers import Dense, Input
model = Sequential([Dense(12, input_dim=8, activation="relu"), Dense(1, activation="sigmoid")])
""",
            """
from keras.models import Sequential
from keras.layers import Dense, Input
model = Sequential([Input(shape=(8,)), Dense(12, activation="relu"), Dense(1, activation="sigmoid")])
""",
        ),
        Invalid(
            """
import keras
IMAGE_SHAPE = (64, 64, 3)
model = keras.Sequential([
    keras.layers.Conv2D(32, 3, input_shape=IMAGE_SHAPE),
    keras.layers.GlobalAveragePooling2D(),
])
""",
            """
import keras
IMAGE_SHAPE = (64, 64, 3)
model = keras.Sequential([
    keras.layers.Input(shape=IMAGE_SHAPE),
    keras.layers.Conv2D(32, 3),
    keras.layers.GlobalAveragePooling2D(),
])
""",
        ),
        # No Input name reachable: reported without a fix.
        Invalid("""
from keras.models import Sequential
from keras.layers import Dense
model = Sequential([Dense(12, input_dim=8, activation="relu"), Dense(1)])
"""),
        # .add(): reported, no fix.
        Invalid("""
import keras
model = keras.Sequential()
model.add(keras.layers.Dense(32, input_shape=(16,)))
model.add(keras.layers.Dense(1))
"""),
        # Functional API: the argument is ignored there.
        Invalid("""
import keras
inputs = keras.Input(shape=(16,))
x = keras.layers.Dense(32, input_shape=(16,))(inputs)
"""),
        Invalid(
            """
import tensorflow as tf
model = tf.keras.Sequential([
    tf.keras.layers.LSTM(64, input_shape=(None, 8)),
    tf.keras.layers.Dense(1),
])
""",
            """
import tensorflow as tf
model = tf.keras.Sequential([
    tf.keras.layers.Input(shape=(None, 8)),
    tf.keras.layers.LSTM(64),
    tf.keras.layers.Dense(1),
])
""",
        ),
        # Not the first layer: reported (ignored by Keras), no fix.
        Invalid("""
import keras
model = keras.Sequential([
    keras.Input(shape=(4,)),
    keras.layers.Dense(8, input_dim=4),
])
"""),
        Invalid(
            """
from keras import layers as L
import keras
def build():
    return keras.Sequential([L.Conv1D(16, 5, input_shape=(100, 1)), L.GlobalMaxPooling1D()])
""",
            """
from keras import layers as L
import keras
def build():
    return keras.Sequential([L.Input(shape=(100, 1)), L.Conv1D(16, 5), L.GlobalMaxPooling1D()])
""",
        ),
    )
