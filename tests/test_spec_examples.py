"""The founding topologies in examples/*.toml: each generated from its spec, executed on
synthetic data, and described the same way by kgen's own lint and summary as by Keras."""

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kgen import generate
from kgen.lint.engine import analyze
from kgen.lint.rule import all_rules
from kgen.lint.summary import summarize
from kgen.spec_file import load_spec

SPECS = sorted((Path(__file__).parent.parent / "examples").glob("*.toml"))


def expected_metrics(spec):
    """evaluate()'s keys: with several outputs Keras prefixes each loss and metric by its output."""
    if len(spec.outputs) == 1:
        return {"loss", *(metric.name for metric in spec.head.metrics)}
    names = {"loss"}
    for output in spec.outputs:
        names |= {f"{output.name}_loss", *(f"{output.name}_{m.name}" for m in output.head.metrics)}
    return names


@pytest.mark.parametrize("path", SPECS, ids=lambda path: path.stem)
def test_spec_example_runs_and_agrees_with_keras(path, tmp_path, run_script):
    import keras

    spec = load_spec(path)
    source = generate.render(spec)
    _, findings = analyze(source, list(all_rules()))
    assert [(f.rule.CODE, f.line, f.message) for f in findings] == []

    script = tmp_path / "train.py"
    script.write_text(source)
    num_samples = 300 if spec.single and spec.modality.name == "timeseries" else 60
    run_script(script, "--synthetic", num_samples, "--epochs", 1, "--output-dir", "out")

    out = tmp_path / "out"
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics) == expected_metrics(spec)
    assert all(math.isfinite(value) for value in metrics.values())
    assert (out / "history.png").stat().st_size > 0
    model = keras.models.load_model(out / "model.keras")
    if not spec.single:
        assert [tensor.name for tensor in model.inputs] == [i.name for i in spec.inputs]
        assert sorted(model.output_names) == sorted(o.name for o in spec.outputs)
    for output, tensor in zip(spec.outputs, model.outputs):
        if output.per_step:  # one prediction per time step of the input
            assert len(tensor.shape) == 3, tensor.shape
        if output.head.activation == "softmax":
            assert output.classes and tensor.shape[-1] == len(output.classes)

    # The summary reads the source alone; the spec's static shapes let it count every weight.
    total = re.search(r"^Total params: ([\d,]+)$", summarize(source), re.MULTILINE)
    assert total, summarize(source)
    assert int(total.group(1).replace(",", "")) == model.count_params()


def test_samples_csv_layout_is_documented_and_written(tmp_path, run_script):
    """The several-input layout: samples.csv names each input's file and holds each target."""
    spec = load_spec(SPECS[0].parent / "two_image_inputs.toml")
    script = tmp_path / "train.py"
    script.write_text(generate.render(spec))
    assert "PATH/samples.csv" in script.read_text()
    run_script(script, "--synthetic", 24, "--epochs", 1)
    rows = (tmp_path / "output" / "synthetic_data" / "samples.csv").read_text().splitlines()
    assert rows[0] == "photo,sketch,same" and len(rows) == 25
    photo, sketch, same = rows[1].split(",")
    assert photo.endswith(".png") and sketch.endswith(".png") and same in ("different", "same")
    # Training on that folder as --data gives the same run as --synthetic.
    data = tmp_path / "output" / "synthetic_data"
    run_script(script, "--data", data, "--epochs", 1, "--output-dir", "again")
    assert np.isfinite(json.loads((tmp_path / "again" / "metrics.json").read_text())["loss"])


IMAGE_AND_TABLE = """
[inputs.photo]
data = "image"
image_size = [32, 32]

[inputs.meta]
data = "vector"
columns = ["age", "weight"]

[outputs.kind]
task = "multiclass"

[outputs.price]
task = "regression"
"""


TABLE_ONLY = IMAGE_AND_TABLE.replace('[inputs.photo]\ndata = "image"\nimage_size = [32, 32]\n', "")


@pytest.mark.parametrize("text", [IMAGE_AND_TABLE, TABLE_ONLY], ids=["image+table", "table"])
def test_table_inputs_with_two_outputs(text, tmp_path, run_script):
    """Tabular features (beside an image, or alone): samples.csv holds the feature columns."""
    (tmp_path / "model.toml").write_text(text)
    source = generate.render(load_spec(tmp_path / "model.toml"))
    assert analyze(source, list(all_rules()))[1] == []
    script = tmp_path / "train.py"
    script.write_text(source)
    run_script(script, "--synthetic", 40, "--epochs", 1)
    header = (tmp_path / "output" / "synthetic_data" / "samples.csv").read_text().splitlines()[0]
    assert header == ("photo," if "photo" in text else "") + "age,weight,kind,price"
    metrics = json.loads((tmp_path / "output" / "metrics.json").read_text())
    assert set(metrics) == {"loss", "kind_loss", "kind_accuracy", "price_loss", "price_mae", "price_r2"}


def test_samples_csv_files_are_read_while_training(tmp_path, run_script):
    """Only samples.csv is read up front: a file that turns out unreadable is reported when its
    batch is read, after the split and the model are made, not before."""
    spec = load_spec(SPECS[0].parent / "two_image_inputs.toml")
    script = tmp_path / "train.py"
    source = generate.render(spec)
    assert "train_batches = SampleBatches(" in source and "feed(train_batches)," in source
    script.write_text(source)
    run_script(script, "--synthetic", 40, "--epochs", 1)
    data = tmp_path / "output" / "synthetic_data"
    for sketch in (data / "sketch").iterdir():
        sketch.write_bytes(b"not an image")
    result = subprocess.run(
        [sys.executable, "train.py", "--data", data, "--epochs", "1", "--output-dir", "again"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert re.match(
        r"error: cannot read .*sketch/\d+\.png: not an image", result.stderr.splitlines()[-1]
    )
    assert "28 training, 6 validation, 6 test samples" in result.stdout
    assert 'Model: "same_scene"' in result.stdout


def test_samples_csv_splits_are_stratified(tmp_path, run_script):
    """Several outputs: the splits keep the first classification output's class proportions."""
    spec = load_spec(SPECS[0].parent / "sequence_two_outputs.toml")
    script = tmp_path / "train.py"
    script.write_text(generate.render(spec))
    run_script(script, "--synthetic", 100, "--epochs", 1)
    data = tmp_path / "output" / "synthetic_data"
    # Uneven classes, in file order: 70 slow, 20 medium, 10 fast.
    lines = (data / "samples.csv").read_text().splitlines()
    header = lines[0].split(",")
    kind = header.index("kind")
    rows = []
    for index, line in enumerate(lines[1:]):
        cells = line.split(",")
        cells[kind] = "slow" if index < 70 else "medium" if index < 90 else "fast"
        rows.append(",".join(cells))
    (data / "samples.csv").write_text("\n".join([lines[0], *rows]) + "\n")
    result = run_script(script, "--data", data, "--epochs", 1, "--output-dir", "again")
    splits = dict(
        re.findall(r"^Classes in the (\w+) split: (.*)$", result.stdout, re.MULTILINE)
    )
    assert set(splits) == {"training", "validation", "test"}
    counts = {
        name: {label: int(count) for label, count in (part.split() for part in text.split(", "))}
        for name, text in splits.items()
    }
    whole = {"slow": 70, "medium": 20, "fast": 10}
    assert {label: sum(split[label] for split in counts.values()) for label in whole} == whole
    for split in counts.values():
        size = sum(split.values())
        for label, count in split.items():
            assert abs(count - size * whole[label] / 100) <= 1, (split, whole)
