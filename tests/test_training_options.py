"""The training options every script offers (--class-weight, --no-augment, --tensorboard,
--resume, --export) and the evaluation pictures, executed on each modality they apply to."""

import re
import signal
import subprocess
import sys
import time
from importlib.metadata import version

import numpy as np
import pytest

from kgen import generate, versions


def write_script(tmp_path, task, data, labels=None):
    spec = generate.ScriptSpec.build(task, data, labels=labels)
    (tmp_path / "train.py").write_text(generate.render(spec))
    return tmp_path / "train.py"


def augmentation_layers(model):
    return [layer for layer in model.layers if type(layer).__name__.startswith("Random")]


def test_image_options_together(tmp_path, run_script):
    """Augmentation on, balanced class weights, TensorBoard logs and a SavedModel export."""
    import keras
    import tensorflow as tf

    script = write_script(tmp_path, "binary", "image")
    result = run_script(
        script, "--synthetic", 60, "--epochs", 2, "--class-weight", "balanced", "--tensorboard",
        "--export", "saved_model",
    )  # fmt: skip
    out = tmp_path / "output"
    # Weights from the training split's counts: the rarer class weighs more, the mean is 1.
    weights = re.search(
        r"^Class weights: negative ([\d.]+), positive ([\d.]+)$", result.stdout, re.MULTILINE
    )
    assert weights, result.stdout
    negative, positive = float(weights[1]), float(weights[2])
    counts = re.search(
        r"^Classes in the training split: negative (\d+), positive (\d+)$",
        result.stdout,
        re.MULTILINE,
    )
    assert counts and (negative > positive) == (int(counts[1]) < int(counts[2])), result.stdout
    assert negative * int(counts[1]) == pytest.approx(positive * int(counts[2]), rel=0.01)
    assert (out / "confusion_matrix.png").stat().st_size > 0
    assert list((out / "tensorboard" / "train").glob("events.out.tfevents.*"))
    assert list((out / "tensorboard" / "validation").glob("events.out.tfevents.*"))
    model = keras.models.load_model(out / "model.keras")
    assert [type(layer).__name__ for layer in augmentation_layers(model)] == [
        "RandomFlip", "RandomRotation", "RandomZoom", "RandomContrast",
    ]  # fmt: skip
    # The SavedModel serves the same predictions: augmentation is off outside training.
    images = np.random.default_rng(0).uniform(0, 255, (3, *model.input_shape[1:]))
    images = images.astype("float32")
    saved_model = tf.saved_model.load(str(out / "saved_model"))
    served = saved_model.serve(images).numpy()
    np.testing.assert_allclose(served, model.predict(images, verbose=0), rtol=1e-4, atol=1e-5)


def test_no_augment_and_onehot_class_weights(tmp_path, run_script):
    import keras

    script = write_script(tmp_path, "multiclass", "image", labels="onehot")
    result = run_script(
        script, "--synthetic", 60, "--epochs", 1, "--no-augment", "--class-weight", "balanced"
    )
    assert "Class weights: class_a " in result.stdout
    model = keras.models.load_model(tmp_path / "output" / "model.keras")
    assert augmentation_layers(model) == []
    assert (tmp_path / "output" / "confusion_matrix.png").stat().st_size > 0


@pytest.mark.parametrize(
    "task, data, picture",
    [
        ("regression", "vector", "predictions.png"),
        ("forecast", "timeseries", "forecast.png"),
        ("binary", "timeseries", "confusion_matrix.png"),  # whole series
        ("tagging", "text", "confusion_matrix.png"),
        ("multiclass", "audio", "confusion_matrix.png"),
        ("regression", "video", "predictions.png"),
        ("binary", "volume", "confusion_matrix.png"),
    ],
)
def test_options_on_each_modality(tmp_path, run_script, task, data, picture):
    """The evaluation picture, TensorBoard logs, a backed-up run and a SavedModel export."""
    import keras
    import tensorflow as tf

    script = write_script(tmp_path, task, data)
    # Regression has no classes to stratify: the fewest samples --synthetic takes, 20.
    samples = {"forecast": 300}.get(task, 20 if task == "regression" else 60)
    # Classification on streamed files also weighs its classes (class_weight with PyDataset).
    weights = ["--class-weight", "balanced"] if task in ("binary", "multiclass") else []
    result = run_script(
        script, "--synthetic", samples, "--epochs", 1, "--tensorboard", "--resume",
        "--export", "saved_model", *weights,
    )  # fmt: skip
    assert ("Class weights: " in result.stdout) == bool(weights), result.stdout
    out = tmp_path / "output"
    assert (out / picture).stat().st_size > 0
    assert list((out / "tensorboard" / "train").glob("events.out.tfevents.*"))
    assert not (out / "backup").exists()  # the run finished: its backup is gone
    model = keras.models.load_model(out / "model.keras")
    saved_model = tf.saved_model.load(str(out / "saved_model"))
    inputs = np.zeros((2, *model.input_shape[1:]), dtype=model.inputs[0].dtype)
    served = saved_model.serve(inputs).numpy()
    np.testing.assert_allclose(served, model.predict(inputs, verbose=0), rtol=1e-4, atol=1e-4)


def test_class_weight_is_offered_to_classification_only(tmp_path):
    for task in ("multilabel", "regression"):
        assert "--class-weight" not in generate.render(generate.ScriptSpec.build(task, "vector"))
    assert "--no-augment" not in generate.render(generate.ScriptSpec.build("binary", "vector"))


def test_export_onnx_without_its_packages_is_one_line(tmp_path):
    """This setup has no tf2onnx: the model is saved, then a clear one-line error."""
    pytest.importorskip("tensorflow")
    if any(_installed(name) for name in ("tf2onnx", "onnx")):
        pytest.skip("onnx packages installed: test_backends exercises the export itself")
    write_script(tmp_path, "binary", "vector")
    result = subprocess.run(
        [sys.executable, "train.py", "--synthetic", "60", "--epochs", "1", "--export", "onnx"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("error: --export onnx is not available on tensorflow here:")
    ), result.stderr[-2000:]
    assert (tmp_path / "output" / "model.keras").is_file()  # nothing trained is lost


def _installed(name):
    from importlib.util import find_spec

    return find_spec(name) is not None


def test_resume_continues_an_interrupted_run(tmp_path):
    """Kill a run mid-training, its latest backup cut short; the rerun with --resume starts
    from the epoch after the last whole backup."""
    write_script(tmp_path, "binary", "vector")
    args = [sys.executable, "train.py", "--synthetic", 2000, "--epochs", 40, "--resume"]
    args = [str(arg) for arg in args]
    log = tmp_path / "output" / "training_log.csv"
    first = subprocess.Popen(
        args, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and first.poll() is None:
        if log.is_file() and len(log.read_text().splitlines()) >= 4:  # header + 3 epochs
            break
        time.sleep(0.2)
    assert first.poll() is None, "the first run ended before it could be interrupted"
    first.send_signal(signal.SIGKILL)  # no chance to clean up, as a crash or a lost machine
    first.wait()
    done = len(log.read_text().splitlines()) - 1
    backup = tmp_path / "output" / "backup" / "latest.weights.h5"
    # The worst moment for a kill is while Keras writes the backup: it is left cut short. Make
    # it so; the run must resume from the previous epoch's backup, kept beside it.
    backup.write_bytes(backup.read_bytes()[: backup.stat().st_size // 2])

    # Patience 1: the resumed run need only show where it starts, not train to the end.
    second = subprocess.run(
        [*args, "--patience", "1"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert second.returncode == 0, second.stderr[-3000:]
    first_epoch = next(line for line in second.stdout.splitlines() if line.startswith("Epoch "))
    resumed_at = int(first_epoch.split()[1].split("/")[0])
    assert resumed_at >= done >= 3, (first_epoch, done)  # not Epoch 1/40
    epochs = [int(line.split(",")[0]) for line in log.read_text().splitlines()[1:]]
    assert epochs[:done] == list(range(done))  # the interrupted run's rows are kept
    assert epochs[done] == resumed_at - 1  # and the resumed run's continue them
    assert not (tmp_path / "output" / "backup").exists()  # removed once training finished


def test_docstring_names_the_tested_versions():
    """The versions table kgen writes into every docstring is what this suite runs."""
    assert version("keras") == versions.KERAS
    tensorflow = next(
        version(name) for name in ("tensorflow-cpu", "tensorflow") if _distribution(name)
    )
    assert tensorflow == versions.BACKENDS["tensorflow"]
    source = generate.render(generate.ScriptSpec.build("binary", "vector"))
    assert f"pip install keras=={versions.KERAS} tensorflow=={tensorflow}" in source
    assert f"JAX {versions.BACKENDS['jax']}, PyTorch {versions.BACKENDS['torch']}" in source


def _distribution(name):
    from importlib.metadata import PackageNotFoundError

    try:
        return version(name)
    except PackageNotFoundError:
        return None
