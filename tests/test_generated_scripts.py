"""Every supported combination, generated and executed for one epoch on synthetic data."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from kgen import generate
from kgen.spec_file import load_spec

# How many outputs each task's head has on the data --synthetic writes.
SYNTHETIC_OUTPUTS = {
    "binary": {"*": 1},
    "multiclass": {"*": 3},
    "multilabel": {"vector": 2, "*": 3},
    "regression": {"*": 1},
    "forecast": {"*": 1},
    "tagging": {"text": 2, "timeseries": 3},
}
# The steps of a forecast (HORIZON) and of a tagged sequence (SEQUENCE_LENGTH, WINDOW).
STEPS = {("forecast", "timeseries"): 12, ("tagging", "text"): 200, ("tagging", "timeseries"): 24}


def expected_output_shape(spec):
    counts = SYNTHETIC_OUTPUTS[spec.task]
    outputs = counts[spec.modality.name] if spec.modality.name in counts else counts["*"]
    steps = STEPS.get((spec.task, spec.modality.name))
    return (outputs,) if steps is None else (steps, outputs)


def sample_inputs(model, count=4):
    """Random inputs of the model's shape and dtype; word indices within its vocabulary."""
    shape = (count, *model.input_shape[1:])
    if "int" in model.inputs[0].dtype:
        vocabulary = min(layer.input_dim for layer in model.layers if hasattr(layer, "input_dim"))
        return np.random.randint(0, vocabulary, shape)
    return np.random.uniform(0, 255, shape).astype("float32")


@pytest.mark.parametrize("spec", generate.supported(), ids=lambda spec: spec.slug)
def test_generated_script_runs(spec, tmp_path, run_script):
    import keras  # here, not at the top: only these tests pay for importing TensorFlow

    script = tmp_path / "train.py"
    script.write_text(generate.render(spec))
    # A table's rows, for its windows; whole series and other samples are files.
    windows = spec.modality.name == "timeseries" and spec.task in ("forecast", "tagging")
    num_samples = 300 if windows else 60
    # Pretrained bases start from random weights here: nothing can be downloaded.
    pretrained = ["--no-pretrained-weights", "--fine-tune-epochs", 1] if spec.pretrained else []
    run_script(
        script, "--synthetic", num_samples, "--epochs", 1, "--output-dir", "out", *pretrained
    )

    output_dir = tmp_path / "out"
    assert (output_dir / "history.png").stat().st_size > 0
    assert (output_dir / "checkpoint.keras").is_file()
    assert (output_dir / "training_log.csv").read_text().startswith("epoch,")
    metrics = json.loads((output_dir / "metrics.json").read_text())
    assert set(metrics) == {"loss", *(metric.name for metric in spec.head.metrics)}
    assert all(math.isfinite(value) for value in metrics.values())

    model = keras.models.load_model(output_dir / "model.keras")
    predictions = np.asarray(model.predict(sample_inputs(model), verbose=0))
    assert predictions.shape == (4, *expected_output_shape(spec))
    if spec.head.activation == "softmax":
        np.testing.assert_allclose(predictions.sum(axis=-1), 1.0, rtol=1e-4)
    if spec.head.activation is not None:
        assert ((predictions >= 0) & (predictions <= 1)).all()


@pytest.mark.parametrize(
    "spec",
    [
        generate.ScriptSpec.build(*args)
        for args in [("multilabel", "text", "gru"), ("regression", "vector")]
    ]
    # named inputs and outputs: dicts of arrays through the strategy, a float32 head per output
    + [load_spec(Path(__file__).parent.parent / "examples" / "sequence_two_outputs.toml")],
    ids=lambda spec: spec.slug,
)
def test_distributed_mixed_precision_run(spec, tmp_path, run_script):
    import keras

    script = tmp_path / "train.py"
    script.write_text(generate.render(spec))
    result = run_script(
        script, "--synthetic", 60, "--epochs", 1, "--distribute", "--mixed-precision"
    )
    assert "Data-parallel training on 1 device(s)" in result.stdout  # MirroredStrategy, one CPU
    metrics = json.loads((tmp_path / "output" / "metrics.json").read_text())
    assert all(math.isfinite(value) for value in metrics.values())
    model = keras.models.load_model(tmp_path / "output" / "model.keras")
    assert "mixed_float16" in {layer.dtype_policy.name for layer in model.layers}
    assert all(output.dtype == "float32" for output in model.outputs)  # stable outputs
