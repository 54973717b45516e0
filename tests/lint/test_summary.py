"""`kgen summary`: model.summary() from the source, without TensorFlow."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from kgen.cli import app
from kgen.lint.summary import snake_case, summarize

MNIST = """
import keras
from keras import layers
num_classes = 10
input_shape = (28, 28, 1)
model = keras.Sequential([
    keras.Input(shape=input_shape),
    layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Flatten(),
    layers.Dropout(0.5),
    layers.Dense(num_classes, activation="softmax"),
])
"""


def test_mnist_summary_matches_keras_figures():
    text = summarize(MNIST)
    assert 'Model: "sequential" (sequential, line 6)' in text
    assert "conv2d (Conv2D)" in text and "(None, 26, 26, 32)" in text
    assert "conv2d_1 (Conv2D)" in text and "(None, 11, 11, 64)" in text
    assert "flatten (Flatten)" in text and "(None, 1600)" in text
    assert "Total params: 34,826" in text  # Keras's own figure for this keras.io example
    assert "Non-trainable params: 0" in text


def test_unknown_input_shape_gives_question_marks_not_guesses():
    source = """
import keras
from keras import layers
def build(x_train):
    inputs = keras.Input(shape=x_train.shape[1:])
    x = layers.Dense(16, activation="relu")(inputs)
    return keras.Model(inputs, layers.Dense(1)(x), name="regressor")
"""
    text = summarize(source)
    assert 'Model: "regressor"' in text
    assert "dense (Dense)" in text and "?" in text
    assert "Total params: ?" in text


def test_batch_normalization_counts_non_trainable():
    source = """
import keras
from keras import layers
inputs = keras.Input(shape=(8,))
outputs = layers.BatchNormalization()(layers.Dense(4)(inputs))
model = keras.Model(inputs, outputs)
"""
    text = summarize(source)
    assert "Total params: 52" in text and "Non-trainable params: 8" in text


def test_snake_case_like_keras():
    assert snake_case("Conv2D") == "conv2d"
    assert snake_case("BatchNormalization") == "batch_normalization"
    assert snake_case("GRU") == "gru"
    assert snake_case("SeparableConv2D") == "separable_conv2d"
    assert snake_case("GlobalAveragePooling2D") == "global_average_pooling2d"


def test_command_line(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(MNIST)
    result = CliRunner().invoke(app, ["summary", str(script)])
    assert result.exit_code == 0 and "Total params: 34,826" in result.output
    assert CliRunner().invoke(app, ["summary", str(tmp_path / "missing.py")]).exit_code == 2
    broken = tmp_path / "broken.py"
    broken.write_text("def (:\n")
    result = CliRunner().invoke(app, ["summary", str(broken)])
    assert result.exit_code == 2 and "cannot parse" in result.output
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    assert "No Keras model" in CliRunner().invoke(app, ["summary", str(empty)]).output


def test_summary_imports_no_tensorflow():
    probe = (
        "import sys\n"
        "from kgen.lint.summary import summarize\n"
        f"summarize({MNIST!r})\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    assert run.stdout.splitlines()[-1] == "[]"


AUGMENTED = """
import keras
from keras import layers
def build_model(augment=True):
    inputs = keras.Input(shape=(32, 32, 3))
    x = inputs
    if augment:
        x = layers.RandomFlip("horizontal")(x)
        x = layers.RandomRotation(0.1)(x)
    x = layers.Conv2D(8, 3)(x)
    return keras.Model(inputs, layers.Dense(1)(layers.Flatten()(x)))
"""


def test_summary_follows_a_branch_that_only_adds_augmentation():
    # At inference both paths are the same model: the summary shows the augmented one.
    text = summarize(AUGMENTED)
    assert "random_rotation (RandomRotation)" in text and "(None, 30, 30, 8)" in text
    assert "Total params: 7,425" in text  # 224 + 7201, as Keras counts them
    text = summarize(AUGMENTED.replace("RandomRotation(0.1)", "Dense(4)"))
    assert "Total params: ?" in text  # a branch that adds weights stays unknown
