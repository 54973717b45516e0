from __future__ import annotations

import libcst as cst

from kgen.lint.layers import CHANNEL_PRESERVING, CONV_LAYERS, int_value
from kgen.lint.models import DEFAULT, Const, Node, Seq
from kgen.lint.resolve import Ref
from kgen.lint.rule import Fix, Invalid, Report, Rule

_SEPARABLE = {"Conv1D": "SeparableConv1D", "Conv2D": "SeparableConv2D"}
# Conv arguments SeparableConv does not take (it has depthwise_/pointwise_ variants instead).
_NOT_SEPARABLE_ARGS = (
    "kernel_initializer",
    "kernel_regularizer",
    "kernel_constraint",
    "groups",
)


def _channels(node: Node | None) -> int | None:
    """The channel count (last axis) of a tensor, when it is known statically."""
    while node is not None:
        if node.kind == "input":
            shape = node.shape
            if isinstance(shape, Seq) and shape.items:
                return int_value(shape.items[-1])
            return None
        if node.kind != "layer":
            return None
        kind = node.layer.kind
        if kind in CHANNEL_PRESERVING:
            node = node.inputs[0] if len(node.inputs) == 1 else None
        elif kind in CONV_LAYERS and not kind.startswith("Depthwise"):
            return int_value(node.layer.param("filters"))
        elif kind == "Dense":
            return int_value(node.layer.param("units"))
        elif kind == "Embedding":
            return int_value(node.layer.param("output_dim"))
        else:
            return None
    return None


def _kernel_area(kernel_size, rank: int) -> int | None:
    """Taps per channel of the kernel (9 for 3x3); None when not known."""
    items = kernel_size.items if isinstance(kernel_size, Seq) else [kernel_size] * rank
    sizes = [int_value(item) for item in items]
    if None in sizes or len(sizes) != rank:
        return None
    area = 1
    for size in sizes:
        area *= size
    return area


def _weight_ratio(area: int, channels: int, filters: int) -> float:
    """How many times more weights the plain convolution has than the separable one."""
    return (area * channels * filters) / (area * channels + channels * filters)


class PreferSeparableConv(Rule):
    """
    ## What it does
    Suggests `SeparableConv2D`/`SeparableConv1D` for a `Conv2D`/`Conv1D` layer of a model built
    from scratch whose input has a known number of channels above 3. It stays silent on the
    first convolution over raw images or signals (1 to 3 channels, or a channel count that is
    not known statically), where separating would not at least halve the weights (1x1
    convolutions, or very few filters such as a one-channel reconstruction output), on
    `groups=`/`channels_first` convolutions, and on models that include a pretrained
    `keras.applications` network.

    ## Why is this bad?
    It is a suggestion, not a bug. A depthwise separable convolution factors a convolution into
    a per-channel spatial filter and a 1x1 mix of channels. Over many channels it has several
    times fewer parameters and multiplications, trains faster and usually generalises as well
    or better; Keras's own guidance for convnets built from scratch is to prefer it. Over 1-3
    input channels there is too little to separate, hence the exemption.

    ## Example
    ```python
    x = layers.Conv2D(32, 3, activation="relu")(inputs)  # over RGB: fine
    x = layers.Conv2D(64, 3, activation="relu")(x)
    ```

    ## Use instead
    ```python
    x = layers.Conv2D(32, 3, activation="relu")(inputs)
    x = layers.SeparableConv2D(64, 3, activation="relu")(x)
    ```

    ## Fix safety
    The fix renames the layer class and is unsafe: it changes the architecture, the parameter
    count and the weights a saved checkpoint holds. It is offered only where the new name is
    reachable (`layers.Conv2D` -> `layers.SeparableConv2D`, or a bare name that is already
    imported) and no argument would be rejected (`kernel_initializer=` and the like).
    Suppress a deliberate plain convolution with `# noqa: KG003`.
    """

    CODE = "KG003"
    NAME = "prefer-separable-conv"
    SEVERITY = "info"
    SUMMARY = "A Conv2D/Conv1D over many channels could be a SeparableConv2D/SeparableConv1D"
    FIX = "unsafe"

    def check(self, facts):
        for model in facts.models:
            if model.uses_application:
                continue
            for node in model.nodes():
                layer = node.layer
                if node.kind != "layer" or layer.kind not in _SEPARABLE:
                    continue
                if layer.param("data_format") not in (DEFAULT, Const("channels_last")):
                    continue
                if layer.param("groups") not in (DEFAULT, Const(1)):
                    continue
                channels = _channels(node.inputs[0] if len(node.inputs) == 1 else None)
                if channels is None or channels <= 3:
                    continue
                area = _kernel_area(layer.param("kernel_size"), int(layer.kind[-2]))
                filters = int_value(layer.param("filters"))
                ratio = _weight_ratio(area, channels, filters) if area and filters else None
                if area == 1 or (ratio is not None and ratio < 2):
                    continue  # a pointwise or few-filter convolution: separating saves little
                separable = _SEPARABLE[layer.kind]
                saving = f" (~{ratio:.0f}x fewer weights)" if ratio is not None else ""
                yield Report(
                    layer.call,
                    f"{layer.kind} over {channels} channels could be a {separable}{saving}",
                    f"{separable} has far fewer parameters and is usually as accurate",
                    self._fix(facts, layer, separable),
                )

    @staticmethod
    def _fix(facts, layer, separable: str) -> Fix | None:
        if any(name in layer.kwargs for name in _NOT_SEPARABLE_ARGS) or layer.starred:
            return None
        func = layer.call.func
        if isinstance(func, cst.Attribute):
            new = func.with_changes(attr=cst.Name(separable))
        elif isinstance(func, cst.Name) and facts.scope.lookup(separable) == Ref(
            f"keras.layers.{separable}"
        ):
            new = cst.Name(separable)
        else:
            return None
        return Fix(f"use {separable}", False, ((func, new),))

    VALID = (
        # First conv over RGB images, then separable convs: the keras.io style.
        """
import keras
from keras import layers
inputs = keras.Input(shape=(180, 180, 3))
x = layers.Rescaling(1.0 / 255)(inputs)
x = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(x)
x = layers.SeparableConv2D(64, 3, padding="same", activation="relu")(x)
outputs = layers.Dense(1, activation="sigmoid")(layers.GlobalAveragePooling2D()(x))
model = keras.Model(inputs, outputs)
""",
        # Grayscale MNIST: first conv over one channel.
        """
from tensorflow import keras
model = keras.Sequential([
    keras.layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
    keras.layers.MaxPooling2D(),
    keras.layers.Flatten(),
    keras.layers.Dense(10, activation="softmax"),
])
""",
        # Input channels unknown (a parameter): silent even after many layers of nothing.
        """
import keras
from keras import layers

def build_model(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)
    x = layers.Conv1D(64, 7, activation="relu")(inputs)
    x = layers.SeparableConv1D(64, 5, activation="relu")(x)
    outputs = layers.Dense(num_classes, activation="softmax")(layers.GlobalMaxPooling1D()(x))
    return keras.Model(inputs, outputs)
""",
        # Transfer learning: the head sits on a keras.applications base.
        """
import keras
from keras import layers
base = keras.applications.EfficientNetB0(include_top=False, weights=None, input_shape=(224, 224, 3))
inputs = keras.Input(shape=(224, 224, 3))
x = base(inputs, training=False)
x = layers.Conv2D(256, 3, activation="relu")(x)
outputs = layers.Dense(5, activation="softmax")(layers.GlobalAveragePooling2D()(x))
model = keras.Model(inputs, outputs)
""",
        # 1x1 pointwise convolution: nothing to separate.
        """
import keras
from keras import layers
inputs = keras.Input(shape=(32, 32, 3))
x = layers.SeparableConv2D(64, 3, padding="same")(inputs)
x = layers.Conv2D(128, 1)(x)
x = layers.Conv2D(128, (1, 1))(x)
model = keras.Model(inputs, x)
""",
        # Deliberate plain convolutions, suppressed on the line (as `kgen new --arch conv2d` does).
        """
import keras
from keras import layers
inputs = keras.Input(shape=(64, 64, 3))
x = layers.Conv2D(32, 3, activation="relu")(inputs)
x = layers.Conv2D(64, 3, activation="relu")(x)  # noqa: KG003
x = layers.Conv2D(64, 3, activation="relu")(x)  # kgen: ignore[KG003]
model = keras.Model(inputs, x)
""",
        # channels_first data: the last axis is not the channel axis.
        """
import keras
model = keras.Sequential([
    keras.Input(shape=(3, 64, 64)),
    keras.layers.Conv2D(32, 3, data_format="channels_first"),
    keras.layers.Conv2D(64, 3, data_format="channels_first"),
])
""",
        # Grouped convolution.
        """
import keras
from keras import layers
inputs = keras.Input(shape=(32, 32, 3))
x = layers.SeparableConv2D(64, 3)(inputs)
x = layers.Conv2D(64, 3, groups=4)(x)
model = keras.Model(inputs, x)
""",
        # Filters from a parameter: the channel count is unknown.
        """
import keras
from keras import layers

def conv_stack(filters):
    return keras.Sequential([
        keras.Input(shape=(None, None, 3)),
        layers.Conv2D(filters, 3, activation="relu"),
        layers.Conv2D(filters, 3, activation="relu"),
    ])
""",
        # A subclassed model is out of reach.
        """
import keras
from keras import layers
class ConvNet(keras.Model):
    def __init__(self):
        super().__init__()
        self.conv1 = layers.Conv2D(32, 3)
        self.conv2 = layers.Conv2D(64, 3)
    def call(self, x):
        return self.conv2(self.conv1(x))
""",
        # A one-channel reconstruction output: separating would not even halve the weights.
        """
import keras
from keras import layers
inputs = keras.Input(shape=(28, 28, 1))
x = layers.SeparableConv2D(32, 3, padding="same", activation="relu")(inputs)
outputs = layers.Conv2D(1, 3, padding="same", activation="sigmoid")(x)
model = keras.Model(inputs, outputs)
""",
        # Data augmentation as a nested Sequential hides nothing: input is RGB.
        """
import keras
from keras import layers
augment = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)])
inputs = keras.Input(shape=(150, 150, 3))
x = layers.RandomZoom(0.1)(inputs)
x = layers.Conv2D(32, 3, activation="relu")(x)
model = keras.Model(inputs, x)
""",
    )

    INVALID = (
        Invalid(
            """
import keras
from keras import layers
inputs = keras.Input(shape=(180, 180, 3))
x = layers.Conv2D(32, 3, activation="relu")(inputs)
x = layers.MaxPooling2D()(x)
x = layers.Conv2D(64, 3, activation="relu")(x)
model = keras.Model(inputs, x)
""",
            """
import keras
from keras import layers
inputs = keras.Input(shape=(180, 180, 3))
x = layers.Conv2D(32, 3, activation="relu")(inputs)
x = layers.MaxPooling2D()(x)
x = layers.SeparableConv2D(64, 3, activation="relu")(x)
model = keras.Model(inputs, x)
""",
        ),
        # Sequential list with tf.keras, through BatchNormalization.
        Invalid(
            """
import tensorflow as tf
model = tf.keras.Sequential([
    tf.keras.layers.Conv2D(32, 3, activation="relu", input_shape=(32, 32, 3)),
    tf.keras.layers.BatchNormalization(),
    tf.keras.layers.Conv2D(64, 3, activation="relu"),
])
""",
            """
import tensorflow as tf
model = tf.keras.Sequential([
    tf.keras.layers.Conv2D(32, 3, activation="relu", input_shape=(32, 32, 3)),
    tf.keras.layers.BatchNormalization(),
    tf.keras.layers.SeparableConv2D(64, 3, activation="relu"),
])
""",
        ),
        # Conv1D over token embeddings (128 channels), alias L.
        Invalid(
            """
from keras import layers as L
import keras
inputs = keras.Input(shape=(None,), dtype="int64")
x = L.Embedding(20000, 128)(inputs)
x = L.Conv1D(128, 7, activation="relu")(x)
model = keras.Model(inputs, x)
""",
            """
from keras import layers as L
import keras
inputs = keras.Input(shape=(None,), dtype="int64")
x = L.Embedding(20000, 128)(inputs)
x = L.SeparableConv1D(128, 7, activation="relu")(x)
model = keras.Model(inputs, x)
""",
        ),
        # .add() chain.
        Invalid(
            """
import keras
model = keras.Sequential()
model.add(keras.Input(shape=(64, 64, 1)))
model.add(keras.layers.Conv2D(16, 3))
model.add(keras.layers.Conv2D(32, 3))
""",
            """
import keras
model = keras.Sequential()
model.add(keras.Input(shape=(64, 64, 1)))
model.add(keras.layers.Conv2D(16, 3))
model.add(keras.layers.SeparableConv2D(32, 3))
""",
        ),
        # Bare name import without SeparableConv2D imported: flagged, no fix offered.
        Invalid("""
from keras.models import Sequential
from keras.layers import Conv2D, MaxPooling2D
model = Sequential([Conv2D(32, (3, 3), input_shape=(28, 28, 1)), MaxPooling2D(), Conv2D(64, (3, 3))])
"""),
        # Star import: the new name is reachable, so the fix is offered.
        Invalid(
            """
from keras.layers import *
from keras import Model
inputs = Input(shape=(96, 96, 3))
x = Conv2D(48, 3)(inputs)
x = Conv2D(96, 3)(x)
model = Model(inputs, x)
""",
            """
from keras.layers import *
from keras import Model
inputs = Input(shape=(96, 96, 3))
x = Conv2D(48, 3)(inputs)
x = SeparableConv2D(96, 3)(x)
model = Model(inputs, x)
""",
        ),
        # A first conv over a 12-channel multispectral input.
        Invalid(
            """
import keras
inputs = keras.Input(shape=(64, 64, 12))
x = keras.layers.Conv2D(32, 3)(inputs)
model = keras.Model(inputs, x)
""",
            """
import keras
inputs = keras.Input(shape=(64, 64, 12))
x = keras.layers.SeparableConv2D(32, 3)(inputs)
model = keras.Model(inputs, x)
""",
        ),
        # Filters from a module-level constant; kernel_initializer blocks the fix.
        Invalid("""
import keras
from keras import layers
FILTERS = 64
inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(FILTERS, 3)(inputs)
x = layers.Conv2D(FILTERS, 3, kernel_initializer="he_normal")(x)
model = keras.Model(inputs, x)
"""),
        # Audio 1-D convnet built in a function.
        Invalid(
            """
import keras
from keras import layers

def build_model(num_classes):
    inputs = keras.Input(shape=(16000, 1))
    x = layers.Conv1D(16, 9, activation="relu")(inputs)
    x = layers.MaxPooling1D(4)(x)
    x = layers.Conv1D(32, 9, activation="relu")(x)
    return keras.Model(inputs, layers.Dense(num_classes, activation="softmax")(x))
""",
            """
import keras
from keras import layers

def build_model(num_classes):
    inputs = keras.Input(shape=(16000, 1))
    x = layers.Conv1D(16, 9, activation="relu")(inputs)
    x = layers.MaxPooling1D(4)(x)
    x = layers.SeparableConv1D(32, 9, activation="relu")(x)
    return keras.Model(inputs, layers.Dense(num_classes, activation="softmax")(x))
""",
        ),
        # tensorflow.keras alias K, after a Dense projection.
        Invalid(
            """
import tensorflow.keras as K
inputs = K.Input(shape=(49, 10))
x = K.layers.Dense(64)(inputs)
x = K.layers.Conv1D(64, 3, padding="same")(x)
model = K.Model(inputs, x)
""",
            """
import tensorflow.keras as K
inputs = K.Input(shape=(49, 10))
x = K.layers.Dense(64)(inputs)
x = K.layers.SeparableConv1D(64, 3, padding="same")(x)
model = K.Model(inputs, x)
""",
        ),
        # Rescaling and augmentation keep the channel count: over 4 channels (RGBA), flagged.
        Invalid(
            """
import keras
from keras import layers
inputs = keras.Input(shape=(128, 128, 4))
x = layers.Rescaling(1.0 / 255)(inputs)
x = layers.RandomFlip()(x)
x = layers.Conv2D(32, 5, strides=2)(x)
model = keras.Model(inputs, x)
""",
            """
import keras
from keras import layers
inputs = keras.Input(shape=(128, 128, 4))
x = layers.Rescaling(1.0 / 255)(inputs)
x = layers.RandomFlip()(x)
x = layers.SeparableConv2D(32, 5, strides=2)(x)
model = keras.Model(inputs, x)
""",
        ),
    )
