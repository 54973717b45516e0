from __future__ import annotations

import libcst as cst

from kgen.lint.layers import int_value
from kgen.lint.rule import Fix, Invalid, Report, Rule

# Keras 1 spelled a 2-D/3-D kernel as separate positional sizes: Convolution2D(64, 3, 3).
_RANK = {"Conv2D": 2, "Convolution2D": 2, "Conv3D": 3, "Convolution3D": 3}


class PositionalConvStrides(Rule):
    """
    ## What it does
    Finds `Conv2D(64, 3, 3)` and `Conv3D(32, 3, 3, 3)`: a Keras 1 kernel size written as
    separate positional numbers. It fires when the numbers after the filter count repeat the
    kernel size (`3, 3`), or on the Keras 1 class names `Convolution2D`/`Convolution3D`; a
    deliberate `Conv2D(64, 3, 2)` (kernel 3, stride 2) is left alone.

    ## Why is this bad?
    Keras 2 and 3 read the third positional argument as `strides`: `Conv2D(64, 3, 3)` is a 3x3
    kernel moved 3 pixels at a time, which silently shrinks the feature map threefold per
    layer instead of the intended stride 1. (`Conv3D(32, 3, 3, 3)` passes `padding=3` and
    fails to build.)

    ## Example
    ```python
    layers.Conv2D(64, 3, 3, activation="relu")
    ```

    ## Use instead
    ```python
    layers.Conv2D(64, (3, 3), activation="relu")
    ```

    ## Fix safety
    The fix joins the sizes into a kernel tuple. It is unsafe: it changes the model that runs
    today (stride 1 instead of 3), which is what the author meant but not what was trained.
    """

    CODE = "KG014"
    NAME = "positional-conv-strides"
    SEVERITY = "warning"
    SUMMARY = "Conv2D(64, 3, 3): a Keras 1 kernel size that Keras 3 reads as strides"
    FIX = "unsafe"

    def check(self, facts):
        for layer in facts.instances:
            rank = _RANK.get(layer.kind)
            if rank is None or layer.starred or len(layer.args) < 3:
                continue
            sizes = [int_value(value) for value in layer.args[1 : 1 + rank]]
            if None in sizes or len(sizes) < 2:
                continue
            keras1 = layer.kind.startswith("Convolution")
            if not keras1 and (len(set(sizes)) != 1 or sizes[0] == 1):
                continue  # Conv2D(64, 1, 1): stride 1 is the default, the model is the same
            yield Report(
                layer.call,
                f"{layer.kind}({', '.join(map(str, [*sizes]))} ...): the third positional "
                f"argument is strides, not the kernel's second size",
                f"write the kernel as a tuple: kernel_size=({', '.join(map(str, sizes))})",
                self._fix(layer, len(sizes)),
            )

    @staticmethod
    def _fix(layer, count: int) -> Fix | None:
        args = list(layer.call.args)
        sized = args[1 : 1 + count]
        if any(arg.keyword is not None or arg.star for arg in sized):
            return None
        elements = [
            cst.Element(arg.value, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            for arg in sized[:-1]
        ] + [cst.Element(sized[-1].value)]
        kernel = sized[0].with_changes(value=cst.Tuple(elements), comma=sized[-1].comma)
        new = layer.call.with_changes(args=[args[0], kernel, *args[1 + count :]])
        return Fix("write the kernel size as a tuple", False, ((layer.call, new),))

    VALID = (
        """
from keras import layers
x = layers.Conv2D(64, (3, 3), activation="relu")
""",
        """
from keras import layers
x = layers.Conv2D(64, 3, activation="relu")
""",
        # Kernel 3, strides 2: a deliberate Keras 2/3 positional call.
        """
from keras import layers
x = layers.Conv2D(64, 3, 2, padding="same")
""",
        """
from keras import layers
x = layers.Conv2D(64, (3, 3), 2)
""",
        """
from keras import layers
x = layers.Conv2D(filters=64, kernel_size=3, strides=3)
""",
        # Conv1D(filters, kernel_size, strides) was never a Keras 1 kernel.
        """
from keras import layers
x = layers.Conv1D(64, 3, 3)
""",
        """
from keras import layers
x = layers.Conv3D(32, (3, 3, 3), padding="same")
""",
        # Unknown sizes stay silent.
        """
from keras import layers
def block(k, s):
    return layers.Conv2D(64, k, s)
""",
        """
import tensorflow as tf
x = tf.keras.layers.Conv2D(32, kernel_size=(5, 5), strides=(1, 1))
""",
        """
from keras import layers
x = layers.SeparableConv2D(64, 3, 3)
""",
        """
from keras import layers
x = layers.Conv2D(256, 1, 1)
""",
    )

    INVALID = (
        Invalid(
            """
from keras import layers
x = layers.Conv2D(64, 3, 3, activation="relu")
""",
            """
from keras import layers
x = layers.Conv2D(64, (3, 3), activation="relu")
""",
        ),
        Invalid(
            """
from keras.layers import Conv2D
x = Conv2D(32, 5, 5)
""",
            """
from keras.layers import Conv2D
x = Conv2D(32, (5, 5))
""",
        ),
        Invalid(
            """
from keras.layers import Convolution2D
x = Convolution2D(32, 3, 2)
""",
            """
from keras.layers import Convolution2D
x = Convolution2D(32, (3, 2))
""",
        ),
        Invalid(
            """
import tensorflow as tf
x = tf.keras.layers.Conv2D(16, 3, 3, padding="same")
""",
            """
import tensorflow as tf
x = tf.keras.layers.Conv2D(16, (3, 3), padding="same")
""",
        ),
        Invalid(
            """
from keras import layers
x = layers.Conv3D(32, 3, 3, 3)
""",
            """
from keras import layers
x = layers.Conv3D(32, (3, 3, 3))
""",
        ),
        Invalid(
            """
import keras
model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    keras.layers.Conv2D(32, 3, 3, activation="relu"),
    keras.layers.Flatten(),
    keras.layers.Dense(10, activation="softmax"),
])
""",
            """
import keras
model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    keras.layers.Conv2D(32, (3, 3), activation="relu"),
    keras.layers.Flatten(),
    keras.layers.Dense(10, activation="softmax"),
])
""",
        ),
        Invalid(
            """
from keras import layers
KERNEL = 3
x = layers.Conv2D(64, KERNEL, KERNEL)
""",
            """
from keras import layers
KERNEL = 3
x = layers.Conv2D(64, (KERNEL, KERNEL))
""",
        ),
        Invalid(
            """
from keras import layers as L
import keras
inputs = keras.Input(shape=(64, 64, 3))
x = L.Conv2D(64, 3, 3)(inputs)
model = keras.Model(inputs, x)
""",
            """
from keras import layers as L
import keras
inputs = keras.Input(shape=(64, 64, 3))
x = L.Conv2D(64, (3, 3))(inputs)
model = keras.Model(inputs, x)
""",
        ),
        Invalid(
            """
from keras.layers import *
x = Convolution3D(8, 3, 3, 3)
""",
            """
from keras.layers import *
x = Convolution3D(8, (3, 3, 3))
""",
        ),
        Invalid(
            """
from keras import layers
def conv_block(x):
    return layers.Conv2D(128, 5, 5, activation="relu")(x)
""",
            """
from keras import layers
def conv_block(x):
    return layers.Conv2D(128, (5, 5), activation="relu")(x)
""",
        ),
    )
