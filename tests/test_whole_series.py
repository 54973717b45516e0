"""--data timeseries given a folder: one whole series per CSV file, labelled by class folders or
labels.csv, of unequal lengths (padded and masked). The same script given one CSV file keeps
its windows over the table's rows."""

import json
import math
import re
import subprocess
import sys

import numpy as np
import pytest

from kgen import generate


def write_script(tmp_path, task, arch=None):
    script = tmp_path / "train.py"
    script.write_text(generate.render(generate.ScriptSpec.build(task, "timeseries", arch)))
    return script


def write_series(path, steps, frequency, features=2):
    """A wave per feature, `steps` rows long, in the documented layout: header, one row a step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    time = np.arange(steps)[:, np.newaxis]
    waves = np.sin(time * frequency + np.arange(features))
    rows = [",".join(f"{value:.4f}" for value in row) for row in waves]
    path.write_text("\n".join([",".join(f"axis_{i}" for i in range(features)), *rows]) + "\n")


def load_model(path):
    import keras

    return keras.models.load_model(path)


def finite_metrics(output_dir):
    metrics = json.loads((output_dir / "metrics.json").read_text())
    assert all(math.isfinite(value) for value in metrics.values()), metrics
    return metrics


@pytest.mark.parametrize(
    "task, arch",
    # Class folders and labels.csv; binary and regression run on real files below, and every
    # task and architecture on --synthetic in test_generated_scripts.py.
    [("multiclass", "conv1d"), ("multilabel", None)],
)
def test_synthetic_writes_the_folder_layout(tmp_path, run_script, task, arch):
    script = write_script(tmp_path, task, arch)
    result = run_script(script, "--synthetic", 40, "--epochs", 1, "--output-dir", "out")
    folder = tmp_path / "out" / "synthetic_data"
    if task in ("binary", "multiclass"):
        assert "Data layout: class sub-folders of out/synthetic_data" in result.stdout
    else:
        assert "Data layout: out/synthetic_data/labels.csv lists the files" in result.stdout
    series = [path for path in folder.rglob("*.csv") if path.name != "labels.csv"]
    assert len(series) == 40
    lengths = [len(path.read_text().splitlines()) - 1 for path in series]
    assert len(set(lengths)) > 1  # unequal lengths, padded to the longest training series
    found = re.search(r"40 series of (\d+) to (\d+) time steps, 3 features", result.stdout)
    assert found and (int(found[1]), int(found[2])) == (min(lengths), max(lengths)), result.stdout
    finite_metrics(tmp_path / "out")
    model = load_model(tmp_path / "out" / "model.keras")
    assert min(lengths) < model.input_shape[1] <= max(lengths)
    masking = model.get_layer(index=1)
    assert type(masking).__name__ == "Masking" and masking.mask_value == -10000.0


def test_class_folders_and_a_table_with_the_same_script(tmp_path, run_script):
    """Real files: 30 series of 5 to 14 steps in two class folders; then one long CSV table,
    which the same script reads as windows."""
    for index in range(30):
        label = ("slow", "fast")[index % 2]
        write_series(tmp_path / "series" / label / f"{index}.csv", 5 + index % 10, 0.2 + index % 2)
    script = write_script(tmp_path, "binary")
    result = run_script(script, "--data", "series", "--epochs", 2, "--output-dir", "out")
    assert "Data layout: class sub-folders of series" in result.stdout
    assert "30 series of 5 to 14 time steps, 2 features" in result.stdout
    assert "Classes in the test split: fast 2, slow 2" in result.stdout
    finite_metrics(tmp_path / "out")
    model = load_model(tmp_path / "out" / "model.keras")
    assert model.input_shape[1] <= 14 and model.input_shape[2] == 2

    rows = ["date,level,target"] + [
        f"2024-01-{1 + day % 28:02d},{np.sin(day / 5):.4f},{'up' if np.sin((day + 1) / 5) > 0 else 'down'}"
        for day in range(200)
    ]
    (tmp_path / "table.csv").write_text("\n".join(rows) + "\n")
    result = run_script(script, "--data", "table.csv", "--epochs", 1, "--output-dir", "windows")
    assert "series of" not in result.stdout
    assert "Ignoring non-numeric columns: date" in result.stdout
    assert load_model(tmp_path / "windows" / "model.keras").input_shape[1:] == (24, 1)


def test_labels_csv_names_the_series_and_their_targets(tmp_path, run_script):
    """Real files listed by labels.csv, the target column chosen with --target. (Multilabel
    reads labels.csv in the synthetic test above.)"""
    rows = ["filename,value"]
    for index in range(24):
        path = tmp_path / "data" / "recordings" / f"{index:02d}.csv"
        write_series(path, 6 + index % 5, 0.1 * index, features=3)
        rows.append(f"recordings/{index:02d}.csv,{0.1 * index:.2f}")
    (tmp_path / "data" / "labels.csv").write_text("\n".join(rows) + "\n")
    script = write_script(tmp_path, "regression")
    args = ["--data", "data", "--target", "value", "--epochs", 2, "--output-dir", "out"]
    result = run_script(script, *args)
    assert "24 series of 6 to 10 time steps, 3 features" in result.stdout
    assert "r2" in finite_metrics(tmp_path / "out")
    assert load_model(tmp_path / "out" / "model.keras").output_shape == (None, 1)


def run_failing(tmp_path, *args):
    script = write_script(tmp_path, "multiclass")
    return subprocess.run(
        [sys.executable, script.name, *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )


GOOD = {"b/2.csv": "x,y\n1,2\n"}  # a second class, so that the labels pass


@pytest.mark.parametrize(
    "files, message",
    [
        ({}, "error: no .csv files in class sub-folders of data, and no labels.csv"),
        (
            {"a/1.csv": "x,y\n1,2\n", "b/2.csv": "x,y,z\n1,2,3\n"},
            "error: data/b/2.csv has 3 columns; data/a/1.csv has 2",
        ),
        (
            {"a/1.csv": "x,y\n1,2\n1.5,high\n", **GOOD},
            "error: data/a/1.csv, line 3: '1.5,high' is not all numbers",
        ),
        (
            {"a/1.csv": "x,y\n1,2\n3\n", **GOOD},
            "error: data/a/1.csv, line 3: 1 fields, the header has 2",
        ),
        (
            {"a/1.csv": "x,y\n", **GOOD},
            "error: data/a/1.csv needs a header row and at least one row of numbers",
        ),
        ({"a/1.csv": "x,y\n1,nan\n", **GOOD}, "error: data/a/1.csv holds nan or inf values"),
    ],
)
def test_bad_series_folders_are_one_line_errors(tmp_path, files, message):
    (tmp_path / "data").mkdir()
    for name, text in files.items():
        (tmp_path / "data" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "data" / name).write_text(text)
    result = run_failing(tmp_path, "--data", "data")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == message, result.stderr
