from __future__ import annotations

from kgen.lint.models import Const, Model
from kgen.lint.rule import Invalid, Report, Rule
from kgen.lint.targets import describe, fit_inputs, fit_labels, scaled_by

_PIXEL_SCALES = (255.0, 127.5)


def _rescales_pixels(model: Model):
    """The model's `Rescaling(1/255)` (or `1/127.5`) layer, if it has one."""
    for node in model.nodes():
        if node.kind == "layer" and node.layer.kind == "Rescaling":
            scale = node.layer.param("scale")
            numeric = isinstance(scale, Const) and type(scale.value) in (int, float)
            if (
                numeric
                and scale.value
                and any(abs(1 / scale.value - pixels) < 1e-6 for pixels in _PIXEL_SCALES)
            ):
                return node.layer
    return None


class MisappliedScaling(Rule):
    """
    ## What it does
    Follows the arrays passed to `fit()` back to where they were made and finds two
    preprocessing slips: pixels scaled twice (the inputs divided by 255 in NumPy and the model
    starting with `Rescaling(1/255)`), and labels scaled as if they were pixels (class ids
    from `keras.datasets`, NumPy or scikit-learn divided by 255).

    Evidence: "redundant preprocessing" and "preprocessing applied to the wrong data" are
    preprocessing faults of Humbatova et al.'s taxonomy (ICSE 2020), and copying the
    `/ 255.0` line onto `y_train` is a known Stack Overflow pattern. False-alarm risk: very
    low; both arrays must be visibly traced to the division and to the model's `fit()`.

    ## Why is this bad?
    Scaled twice, pixel values end up in [0, 1/255]: the network sees nearly black images and
    trains far worse, with no error. Class ids divided by 255 become fractions: a sparse
    crossentropy reads them as class 0 (or fails), a one-hot loss trains against nonsense.

    ## Example
    ```python
    x_train = x_train / 255.0
    y_train = y_train / 255.0
    model = keras.Sequential([keras.Input((28, 28)), layers.Rescaling(1.0 / 255), ...])
    model.fit(x_train, y_train)
    ```

    ## Use instead
    ```python
    model = keras.Sequential([keras.Input((28, 28)), layers.Rescaling(1.0 / 255), ...])
    model.fit(x_train, y_train)  # raw pixels, integer labels
    ```

    ## Fix safety
    No fix: which of the two scalings to keep is the author's call.
    """

    CODE = "KG018"
    NAME = "misapplied-scaling"
    SEVERITY = "error"
    SUMMARY = "Pixels scaled twice (/255 and Rescaling), or labels scaled like pixels"

    def check(self, facts):
        for site in facts.calls:
            if site.method != "fit" or not isinstance(site.receiver, Model):
                continue
            rescaling = _rescales_pixels(site.receiver)
            for value in fit_inputs(site) if rescaling is not None else ():
                scaled = scaled_by(value)
                if scaled and any(abs(scaled[0] - p) < 1e-6 for p in _PIXEL_SCALES):
                    yield Report(
                        site.node,
                        f"inputs divided by {scaled[0]:g} are fed to a model that rescales "
                        "them again with Rescaling: pixels end up in [0, 1/255]",
                        "scale once: drop the division or the Rescaling layer",
                    )
                    break
            for value in fit_labels(site):
                scaled = scaled_by(value)
                labels = describe(scaled[1]) if scaled else None
                if labels is not None and labels.kind in ("int", "onehot"):
                    yield Report(
                        site.node,
                        f"class labels ({labels.how}) divided by {scaled[0]:g} like pixels: "
                        "they are no longer class ids",
                        "scale the inputs, not the labels",
                    )

    VALID = (
        """
import keras
from keras import layers
(x_train, y_train), _ = keras.datasets.mnist.load_data()
x_train = x_train.astype("float32") / 255.0
model = keras.Sequential([keras.Input(shape=(28, 28)), layers.Flatten(), layers.Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x_train, y_train)
""",
        """
import keras
from keras import layers
(x_train, y_train), _ = keras.datasets.cifar10.load_data()
model = keras.Sequential([keras.Input(shape=(32, 32, 3)), layers.Rescaling(1.0 / 255), layers.Flatten(), layers.Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x_train, y_train)
""",
        # [-1, 1] scaling inside the model and raw pixels outside.
        """
import keras
from keras import layers
(x_train, y_train), _ = keras.datasets.cifar10.load_data()
model = keras.Sequential([keras.Input(shape=(32, 32, 3)), layers.Rescaling(1.0 / 127.5, offset=-1), layers.Flatten(), layers.Dense(10)])
model.fit(x_train, y_train)
""",
        # Regression targets scaled on purpose (unknown origin).
        """
import keras
model = keras.Sequential([keras.Input(shape=(8,)), keras.layers.Dense(1)])
model.fit(x, prices / 1000.0)
""",
        # An autoencoder: images are both inputs and targets.
        """
import keras
from keras import layers
(x_train, _), _ = keras.datasets.mnist.load_data()
x_train = x_train / 255.0
model = keras.Sequential([keras.Input(shape=(28, 28)), layers.Flatten(), layers.Dense(784, activation="sigmoid"), layers.Reshape((28, 28))])
model.fit(x_train, x_train)
""",
        # Divided by something else than a pixel range.
        """
import keras
from keras import layers
(x_train, y_train), _ = keras.datasets.mnist.load_data()
x_train = x_train / 16.0
model = keras.Sequential([keras.Input(shape=(28, 28)), layers.Rescaling(1.0 / 255), layers.Flatten(), layers.Dense(10)])
model.fit(x_train, y_train)
""",
        """
import keras
from keras import layers
from sklearn.model_selection import train_test_split
(x, y), _ = keras.datasets.mnist.load_data()
x_train, x_val, y_train, y_val = train_test_split(x / 255.0, y, test_size=0.1)
model = keras.Sequential([keras.Input(shape=(28, 28)), layers.Flatten(), layers.Dense(10, activation="softmax")])
model.fit(x_train, y_train, validation_data=(x_val, y_val))
""",
        # Another model's Rescaling does not count.
        """
import keras
from keras import layers
(x_train, y_train), _ = keras.datasets.mnist.load_data()
x_train = x_train / 255.0
raw = keras.Sequential([keras.Input(shape=(28, 28)), layers.Rescaling(1.0 / 255), layers.Flatten(), layers.Dense(10)])
scaled = keras.Sequential([keras.Input(shape=(28, 28)), layers.Flatten(), layers.Dense(10)])
scaled.fit(x_train, y_train)
""",
        """
import keras
import numpy as np
y = np.random.randint(0, 10, size=(100,))
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(10, activation="softmax")])
model.fit(np.random.random((100, 4)), y)
""",
        # Unknown scale.
        """
import keras
from keras import layers
(x_train, y_train), _ = keras.datasets.mnist.load_data()
x_train = x_train / 255.0
model = keras.Sequential([keras.Input(shape=(28, 28)), layers.Rescaling(scale), layers.Flatten(), layers.Dense(10)])
model.fit(x_train, y_train)
""",
    )

    INVALID = (
        Invalid("""
import keras
from keras import layers
(x_train, y_train), _ = keras.datasets.mnist.load_data()
x_train = x_train.astype("float32") / 255.0
model = keras.Sequential([keras.Input(shape=(28, 28)), layers.Rescaling(1.0 / 255), layers.Flatten(), layers.Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x_train, y_train)
"""),
        Invalid("""
import keras
from keras import layers
(x_train, y_train), _ = keras.datasets.mnist.load_data()
x_train = x_train / 255.0
y_train = y_train / 255.0
model = keras.Sequential([keras.Input(shape=(28, 28)), layers.Flatten(), layers.Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x_train, y_train)
"""),
        Invalid("""
import keras
from keras import layers
(x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
x_train, x_test = x_train / 255.0, x_test / 255.0
inputs = keras.Input(shape=(32, 32, 3))
x = layers.Rescaling(1.0 / 255)(inputs)
x = layers.Conv2D(32, 3, activation="relu")(x)
outputs = layers.Dense(10, activation="softmax")(layers.GlobalAveragePooling2D()(x))
model = keras.Model(inputs, outputs)
model.fit(x_train, y_train, validation_data=(x_test, y_test))
"""),
        Invalid("""
import keras
from keras import layers
(x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
model = keras.Sequential([keras.Input(shape=(28, 28)), layers.Rescaling(1 / 255), layers.Flatten(), layers.Dense(10)])
model.fit(x_train, y_train, validation_data=(x_test / 255, y_test))
"""),
        Invalid("""
import keras
from keras import layers
(x_train, y_train), _ = keras.datasets.cifar100.load_data()
model = keras.Sequential([keras.Input(shape=(32, 32, 3)), layers.Rescaling(1.0 / 255), layers.Flatten(), layers.Dense(100)])
model.fit(x=x_train / 255.0, y=y_train)
"""),
        Invalid("""
import keras
import numpy as np
from keras import layers
y = np.random.randint(0, 10, size=(100,))
model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(10, activation="softmax")])
model.fit(np.random.random((100, 4)), y / 255)
"""),
        Invalid("""
import keras
from keras import layers
from sklearn.model_selection import train_test_split
(x, y), _ = keras.datasets.mnist.load_data()
x_train, x_val, y_train, y_val = train_test_split(x / 255.0, y, test_size=0.1)
model = keras.Sequential([keras.Input(shape=(28, 28)), layers.Rescaling(1.0 / 255), layers.Flatten(), layers.Dense(10)])
model.fit(x_train, y_train)
"""),
        Invalid("""
import keras
from keras import layers
(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
y_train = keras.utils.to_categorical(y_train, 10) / 255.0
model = keras.Sequential([keras.Input(shape=(28, 28)), layers.Flatten(), layers.Dense(10, activation="softmax")])
model.fit(x_train, y_train)
"""),
        Invalid("""
import tensorflow as tf
(x_train, y_train), _ = tf.keras.datasets.mnist.load_data()
x_train, y_train = x_train / 255.0, y_train / 255.0
model = tf.keras.Sequential([tf.keras.Input(shape=(28, 28)), tf.keras.layers.Flatten(), tf.keras.layers.Dense(10)])
model.fit(x_train, y_train, epochs=5)
"""),
        Invalid("""
import keras
from keras import layers
(x_train, y_train), _ = keras.datasets.cifar10.load_data()
x_train = x_train / 127.5
model = keras.Sequential([keras.Input(shape=(32, 32, 3)), layers.Rescaling(1.0 / 127.5, offset=-1), layers.Flatten(), layers.Dense(10)])
model.fit(x_train, y_train)
"""),
    )
