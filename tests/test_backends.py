"""Generated scripts run unchanged on JAX and PyTorch, not only TensorFlow.

Each backend gets its own venv (one venv holding all three slows every script by seconds),
built once from the registry and kept in pytest's cache directory. torch is pinned: an
unpinned torch pulls gigabytes of CUDA packages.
"""

import fcntl
import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from kgen import generate
from kgen.versions import BACKENDS

BACKEND_PACKAGES = {
    backend: [f"{backend}=={number}"]
    for backend, number in BACKENDS.items()
    if backend != "tensorflow"
}
# --export onnx: torch.onnx's exporter on PyTorch, jax2onnx on JAX, and onnxruntime to check
# what they wrote.
BACKEND_PACKAGES["torch"] += ["onnx==1.23.2", "onnxscript==0.7.2", "onnxruntime==1.32.0"]
BACKEND_PACKAGES["jax"] += ["jax2onnx==0.17.1", "onnx==1.23.2", "onnxruntime==1.32.0"]
# One script per modality, spread over tasks and architectures.
REPRESENTATIVE = [
    ("binary", "vector", None),
    ("multiclass", "image", None),
    ("multilabel", "text", "gru"),
    ("regression", "audio", None),
    ("multiclass", "timeseries", None),  # whole series: masked, bidirectional GRU
    ("forecast", "timeseries", "conv1d"),  # windows over one table
    ("regression", "video", None),
    ("binary", "volume", None),
]


def backend_python(cache_root, backend):
    """The python of a venv with Keras, this kgen's script needs and the backend."""
    venv = cache_root / f"venv-{backend}"
    packages = [
        f"keras=={version('keras')}",
        f"numpy=={version('numpy')}",
        "matplotlib",
        "pillow",
        *BACKEND_PACKAGES[backend],
    ]
    stamp = venv / "kgen-packages.txt"
    with open(cache_root / f"venv-{backend}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the two test workers may ask at once
        if not stamp.is_file() or stamp.read_text() != "\n".join(packages):
            subprocess.run([sys.executable, "-m", "venv", "--clear", venv], check=True)
            subprocess.run(
                [venv / "bin" / "pip", "install", "-q", *packages],
                check=True,
                capture_output=True,
            )
            stamp.write_text("\n".join(packages))
    return venv / "bin" / "python"


def run_on_backend(python, backend, script_dir, *args):
    """Run train.py with KERAS_BACKEND=backend; fail with its stderr if it exits non-zero."""
    result = subprocess.run(
        [python, "train.py", *map(str, args)],
        cwd=script_dir,
        env={**os.environ, "KERAS_BACKEND": backend},
        check=False,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.mark.parametrize("backend", sorted(BACKEND_PACKAGES))
@pytest.mark.parametrize("task, data, arch", REPRESENTATIVE, ids=lambda value: value or "default")
def test_script_runs_on_backend(backend, task, data, arch, tmp_path, request):
    import keras  # TensorFlow here: a model saved on another backend must load on this one

    python = backend_python(request.config.cache.mkdir("kgen-backends"), backend)
    spec = generate.ScriptSpec.build(task, data, arch)
    (tmp_path / "train.py").write_text(generate.render(spec))
    num_samples = 300 if task == "forecast" else 60  # rows of a table, for its windows
    run_on_backend(python, backend, tmp_path, "--synthetic", num_samples, "--epochs", 1)
    metrics = json.loads((tmp_path / "output" / "metrics.json").read_text())
    assert set(metrics) == {"loss", *(metric.name for metric in spec.head.metrics)}
    # compile=False: the saved optimizer is the backend's own class (torch's Adam cannot load
    # without torch); the architecture and weights are what travel between backends.
    model = keras.models.load_model(tmp_path / "output" / "model.keras", compile=False)
    assert model.name == f"{task}_{data}_{spec.arch.replace('-', '_')}"


@pytest.mark.parametrize("backend", sorted(BACKEND_PACKAGES))
def test_scale_out_options_run_on_backend(backend, tmp_path, request):
    """--distribute and --mixed-precision degrade to one CPU device here, but must run."""
    python = backend_python(request.config.cache.mkdir("kgen-backends"), backend)
    spec = generate.ScriptSpec.build("multiclass", "image")
    (tmp_path / "train.py").write_text(generate.render(spec))
    result = run_on_backend(
        python, backend, tmp_path, "--synthetic", 60, "--epochs", 1, "--distribute",
        "--mixed-precision", "mixed_bfloat16",
    )  # fmt: skip
    expected = "Data-parallel training on 1 device(s)" if backend == "jax" else "using one device"
    assert expected in result.stdout


ONNX_CHECK = """
import keras, numpy as np, onnxruntime
model = keras.models.load_model("output/model.keras")
session = onnxruntime.InferenceSession("output/model.onnx")
x = np.random.default_rng(0).uniform(0, 255, (4, *model.input.shape[1:])).astype("float32")
served = session.run(None, {session.get_inputs()[0].name: x})[0]
print(float(np.abs(served - model.predict(x, verbose=0)).max()))
"""


# JAX's exporter is left out for image, video and volume models: jax2onnx 0.17.1 writes their
# 2-D and 3-D max pooling with the batch and channel axes in kernel_shape ([1, 2, 2, 1]), which
# onnxruntime refuses ("Unsupported pooling size"); the README says so.
@pytest.mark.parametrize("backend, data", [("torch", "image"), ("jax", "audio"), ("jax", "vector")])
def test_onnx_export_predicts_as_keras_does(backend, data, tmp_path, request):
    """--export onnx: onnxruntime's outputs are Keras's predictions, in inference mode (an image
    script's augmentation layers switched off)."""
    python = backend_python(request.config.cache.mkdir("kgen-backends"), backend)
    (tmp_path / "train.py").write_text(generate.render(generate.ScriptSpec.build("multiclass", data)))
    result = run_on_backend(
        python, backend, tmp_path, "--synthetic", 60, "--epochs", 1, "--export", "onnx"
    )
    assert "Exported output/model.onnx" in result.stdout
    check = subprocess.run(
        [python, "-c", ONNX_CHECK],
        cwd=tmp_path,
        env={**os.environ, "KERAS_BACKEND": backend},
        check=True,
        capture_output=True,
        text=True,
    )
    assert float(check.stdout.split()[-1]) < 1e-4


# Named inputs and outputs, per-step outputs and masked padding, beyond one input and one output.
SPEC_EXAMPLES = ["two_image_inputs", "sequence_two_outputs", "bidirectional_tagging"]


@pytest.mark.parametrize("backend", sorted(BACKEND_PACKAGES))
@pytest.mark.parametrize("name", SPEC_EXAMPLES)
def test_spec_example_runs_on_backend(backend, name, tmp_path, request):
    import keras

    from kgen.spec_file import load_spec

    python = backend_python(request.config.cache.mkdir("kgen-backends"), backend)
    spec = load_spec(Path(__file__).parent.parent / "examples" / f"{name}.toml")
    (tmp_path / "train.py").write_text(generate.render(spec))
    run_on_backend(python, backend, tmp_path, "--synthetic", 60, "--epochs", 1)
    metrics = json.loads((tmp_path / "output" / "metrics.json").read_text())
    assert "loss" in metrics and all(isinstance(value, float) for value in metrics.values())
    model = keras.models.load_model(tmp_path / "output" / "model.keras", compile=False)
    assert model.name == spec.model_name
    if len(spec.outputs) > 1:
        assert sorted(model.output_names) == sorted(output.name for output in spec.outputs)
