"""Generated scripts must learn, not just run: real data that ships with scikit-learn, written
out in the documented layouts and trained on with `--data`, as a user would."""

import csv
import json

import numpy as np
import pytest
from sklearn import datasets

from kgen import generate


def generate_script(tmp_path, task, data):
    script = tmp_path / "train.py"
    script.write_text(generate.render(generate.ScriptSpec.build(task, data)))
    return script


def write_csv(path, features, feature_names, target):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*feature_names, "target"])
        writer.writerows([*row, label] for row, label in zip(features, target))


def test_digits_image_folders_multiclass_accuracy(tmp_path, run_script):
    from PIL import Image

    digits = datasets.load_digits()
    for index, (image, label) in enumerate(zip(digits.images, digits.target)):
        folder = tmp_path / "digits" / f"digit_{label}"
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray((image * 255 / 16).astype("uint8")).save(folder / f"{index:04d}.png")
    script = generate_script(tmp_path, "multiclass", "image")
    # Edit the settings as a user would: 8x8 digits need no 128x128 canvas, nor colour.
    source = script.read_text()
    source = source.replace("IMAGE_SHAPE = (128, 128, 3)", "IMAGE_SHAPE = (32, 32, 1)")
    assert "IMAGE_SHAPE = (32, 32, 1)" in source
    script.write_text(source)
    run_script(script, "--data", "digits", "--epochs", 40, "--output-dir", "out")
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["accuracy"] >= 0.95, metrics


def test_breast_cancer_csv_binary_accuracy(tmp_path, run_script):
    cancer = datasets.load_breast_cancer()
    labels = np.array(["malignant", "benign"])[cancer.target]
    write_csv(tmp_path / "cancer.csv", cancer.data, cancer.feature_names, labels)
    script = generate_script(tmp_path, "binary", "vector")
    run_script(script, "--data", "cancer.csv", "--output-dir", "out")
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["accuracy"] >= 0.93, metrics


def test_diabetes_csv_regression_beats_the_mean(tmp_path, run_script):
    diabetes = datasets.load_diabetes()
    write_csv(tmp_path / "diabetes.csv", diabetes.data, diabetes.feature_names, diabetes.target)
    script = generate_script(tmp_path, "regression", "vector")
    run_script(script, "--data", "diabetes.csv", "--output-dir", "out")
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["r2"] >= 0.3, metrics


@pytest.mark.parametrize("column", ["disease_progression"])
def test_target_column_is_chosen_with_target(tmp_path, run_script, column):
    diabetes = datasets.load_diabetes()
    path = tmp_path / "diabetes.csv"
    write_csv(path, diabetes.data, diabetes.feature_names, diabetes.target)
    path.write_text(path.read_text().replace(",target", f",{column}", 1))
    script = generate_script(tmp_path, "regression", "vector")
    run_script(script, "--data", path.name, "--target", column, "--epochs", 2)


def script_splits(script, data_path):
    """The training and test splits the script makes of `data_path`: its own load, label and
    split functions, called as its main() calls them (same seed), for a baseline to fit on."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("generated_train", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    x, targets, columns = module.load_dataset(data_path)
    y, _ = module.encode_labels(targets, columns)
    (x_train, y_train), _, (x_test, y_test) = module.split_dataset(
        x, y, np.random.default_rng(module.SEED)
    )
    return (x_train, y_train), (x_test, y_test)


def test_small_grayscale_image_set_matches_logistic_regression(tmp_path, run_script):
    """300 real 25x25 grey images, two classes: the case that predicted one class (issue 11)."""
    from PIL import Image
    from sklearn.linear_model import LogisticRegression

    digits = datasets.load_digits()
    counts = {3: 0, 8: 0}
    for index, (image, label) in enumerate(zip(digits.images, digits.target)):
        if counts.get(label, 150) >= 150:
            continue
        counts[label] += 1
        folder = tmp_path / "digits" / f"digit_{label}"
        folder.mkdir(parents=True, exist_ok=True)
        picture = Image.fromarray((image * 255 / 16).astype("uint8"))
        picture.resize((25, 25), Image.BILINEAR).save(folder / f"{index:04d}.png")
    script = generate_script(tmp_path, "binary", "image")
    # The images' own size and colour (a default once the script reads them from the data).
    source = script.read_text().replace("IMAGE_SHAPE = (128, 128, 3)", "IMAGE_SHAPE = (25, 25, 1)")
    script.write_text(source)
    run_script(script, "--data", "digits", "--output-dir", "out")
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())

    (x_train, y_train), (x_test, y_test) = script_splits(script, tmp_path / "digits")
    flat = lambda x: x.reshape(len(x), -1) / 255
    baseline = LogisticRegression(max_iter=2000).fit(flat(x_train), y_train)
    assert metrics["accuracy"] >= baseline.score(flat(x_test), y_test) - 0.03, metrics
