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
    # 8x8 is too coarse for the convnet's three downsamplings: upscale, as a user would.
    result = run_script(
        script, "--data", "digits", "--image-size", 32, 32, "--epochs", 40, "--output-dir", "out"
    )
    assert "Images: 32x32 grayscale" in result.stdout
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["accuracy"] >= 0.95, metrics


def script_split_table(script, path, target_columns):
    """The script's encoded training and test split of a CSV table: its own load, encode and
    split functions, called as its main() calls them (same seed), for a baseline to fit on."""
    module = load_module(script)
    x, targets, columns = module.load_dataset(path, target_columns)
    y, _ = module.encode_labels(targets, columns)
    (x_train, y_train), _, (x_test, y_test) = module.split_dataset(
        x, y, np.random.default_rng(module.SEED)
    )
    encoder = module.fit_feature_encoder(x_train)
    return (module.encode_features(x_train, encoder), y_train), (
        module.encode_features(x_test, encoder),
        y_test,
    )


def load_module(script):
    import importlib.util

    spec = importlib.util.spec_from_file_location("generated_train", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Tables with default settings against an ordinary scikit-learn model on the same split:
# standardised features, then logistic or linear regression.
TABLES = {
    "breast_cancer": ("binary", datasets.load_breast_cancer, ["malignant", "benign"]),
    "wine": ("multiclass", datasets.load_wine, ["barolo", "grignolino", "barbera"]),
    "diabetes": ("regression", datasets.load_diabetes, None),
}


@pytest.mark.parametrize("name", TABLES)
def test_table_matches_a_scikit_learn_baseline(tmp_path, run_script, name):
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    task, load, label_names = TABLES[name]
    bunch = load()
    target = np.array(label_names)[bunch.target] if label_names else bunch.target
    write_csv(tmp_path / f"{name}.csv", bunch.data, bunch.feature_names, target)
    script = generate_script(tmp_path, task, "vector")
    run_script(script, "--data", f"{name}.csv", "--output-dir", "out")  # default settings
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())

    (x_train, y_train), (x_test, y_test) = script_split_table(
        script, tmp_path / f"{name}.csv", ["target"]
    )
    if task == "regression":
        baseline = make_pipeline(StandardScaler(), LinearRegression()).fit(x_train, y_train)
        score, ours, margin = baseline.score(x_test, y_test), metrics["r2"], 0.05
    else:
        model = LogisticRegression(max_iter=5000)
        labels = y_train.ravel() if task == "binary" else y_train
        baseline = make_pipeline(StandardScaler(), model).fit(x_train, labels)
        test_labels = y_test.ravel() if task == "binary" else y_test
        score, ours, margin = baseline.score(x_test, test_labels), metrics["accuracy"], 0.03
    print(f"{name}: script {ours:.3f}, baseline {score:.3f}")
    assert ours >= score - margin, (metrics, score)


@pytest.mark.parametrize("column", ["disease_progression"])
def test_target_column_is_chosen_with_target(tmp_path, run_script, column):
    diabetes = datasets.load_diabetes()
    path = tmp_path / "diabetes.csv"
    write_csv(path, diabetes.data, diabetes.feature_names, diabetes.target)
    path.write_text(path.read_text().replace(",target", f",{column}", 1))
    script = generate_script(tmp_path, "regression", "vector")
    run_script(script, "--data", path.name, "--target", column, "--epochs", 2)


def script_split_paths(script, data_dir):
    """The training and test files the script picks from `data_dir`, with their labels: its own
    list, label and split functions, called as its main() calls them (same seed), so that a
    baseline fits on exactly the script's training split."""
    module = load_module(script)
    paths, targets, columns = module.list_samples(data_dir, module.TARGET_COLUMNS)
    y, _ = module.encode_labels(targets, columns)
    rng = np.random.default_rng(module.SEED)
    (train, y_train), _, (test, y_test) = module.split_dataset(np.arange(len(paths)), y, rng)
    return ([paths[i] for i in train], y_train), ([paths[i] for i in test], y_test)


def grey_pixels(paths):
    from PIL import Image

    return np.array([np.asarray(Image.open(path).convert("L")).ravel() / 255 for path in paths])


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
    script = generate_script(tmp_path, "binary", "image")  # default settings throughout
    run_script(script, "--data", "digits", "--output-dir", "out")
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())

    (train, y_train), (test, y_test) = script_split_paths(script, tmp_path / "digits")
    baseline = LogisticRegression(max_iter=2000).fit(grey_pixels(train), y_train)
    score = baseline.score(grey_pixels(test), y_test)
    print(f"small images: script accuracy {metrics['accuracy']:.3f}, baseline {score:.3f}")
    assert metrics["accuracy"] >= score - 0.03, (metrics, score)


def test_japanese_vowels_whole_series_matches_logistic_regression(tmp_path, run_script):
    """Whole-series classification (issue 11): sktime's bundled JapaneseVowels, 640 utterances
    of 7 to 29 time steps x 12 cepstrum coefficients by 9 speakers, one CSV file per series in
    class folders, default settings. Baseline: logistic regression on the standardised series,
    zero-padded to the longest training series and flattened, fitted on the script's own
    training split."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sktime.datasets import load_japanese_vowels

    frame, speakers = load_japanese_vowels(return_X_y=True)
    for index, (_, row) in enumerate(frame.iterrows()):
        series = np.stack([cell.to_numpy() for cell in row], axis=1)
        folder = tmp_path / "vowels" / f"speaker_{speakers[index]}"
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f"{index:03d}.csv", "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([f"coefficient_{k + 1}" for k in range(series.shape[1])])
            writer.writerows(series.tolist())
    script = generate_script(tmp_path, "multiclass", "timeseries")  # default settings throughout
    result = run_script(script, "--data", "vowels", "--output-dir", "out")
    assert "640 series of 7 to 29 time steps, 12 features" in result.stdout
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())

    module = load_module(script)
    rng = np.random.default_rng(module.SEED)
    splits, _ = module.load_whole_series(tmp_path / "vowels", module.TARGET_COLUMNS, rng)
    (x_train, y_train), _, (x_test, y_test) = splits

    def flat(x):
        return np.where(x == module.PAD_VALUE, 0.0, x).reshape(len(x), -1)

    baseline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    score = baseline.fit(flat(x_train), y_train).score(flat(x_test), y_test)
    print(f"JapaneseVowels: script accuracy {metrics['accuracy']:.3f}, baseline {score:.3f}")
    assert metrics["accuracy"] >= score - 0.03, (metrics, score)
