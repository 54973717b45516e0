"""Does early stopping, not the --epochs cap, end training at the README's data sizes? (issue 15)

Each dataset ships offline with scikit-learn and is laid out as the README says; the default
script (EPOCHS = 200, PATIENCE = 10) runs with no option but --data. Reported per run: the
epochs trained, the epoch with the best validation loss, whether the script said the cap ended
training, the test metric and the wall time.

    python benchmarks/bench_early_stopping.py [dataset ...]   # default: all of them
"""

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image
from sklearn import datasets

from kgen import generate


def table(directory, bunch, target):
    path = directory / "data.csv"
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([*(f"f{index}" for index in range(bunch.data.shape[1])), target])
        for row, value in zip(bunch.data, bunch.target):
            writer.writerow([*row, value])
    return path


def digit_folders(directory):
    digits = datasets.load_digits()
    for index, (image, label) in enumerate(zip(digits.images, digits.target)):
        folder = directory / f"digit_{label}"
        folder.mkdir(exist_ok=True)
        Image.fromarray((image * 255 / 16).astype("uint8"), mode="L").save(folder / f"{index}.png")
    return directory


# name: (task, data, target column (tables), writes the dataset into a folder and returns --data)
DATASETS = {
    "iris": (
        "multiclass",
        "vector",
        "species",
        lambda d: table(d, datasets.load_iris(), "species"),
    ),
    "wine": (
        "multiclass",
        "vector",
        "cultivar",
        lambda d: table(d, datasets.load_wine(), "cultivar"),
    ),
    "breast_cancer": (
        "binary",
        "vector",
        "malignant",
        lambda d: table(d, datasets.load_breast_cancer(), "malignant"),
    ),
    "diabetes": (
        "regression",
        "vector",
        "target",
        lambda d: table(d, datasets.load_diabetes(), "target"),
    ),
    "digits": ("multiclass", "image", None, digit_folders),
}


def run(name):
    task, data, target, write = DATASETS[name]
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        (scratch / "data").mkdir()
        data_path = write(scratch / "data")
        (scratch / "train.py").write_text(generate.render(generate.ScriptSpec.build(task, data)))
        environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}
        args = [sys.executable, "train.py", "--data", str(data_path)]
        if target:
            args += ["--target", target]
        start = time.perf_counter()
        result = subprocess.run(
            args, cwd=scratch, env=environment, capture_output=True, text=True, check=False
        )
        seconds = time.perf_counter() - start
        if result.returncode:
            return f"{name}: failed: {result.stderr.strip().splitlines()[-1]}"
        rows = list(csv.DictReader((scratch / "output" / "training_log.csv").open()))
        losses = [float(row["val_loss"]) for row in rows]
        best = losses.index(min(losses)) + 1
        capped = "--epochs cap" in result.stdout
        metrics = json.loads((scratch / "output" / "metrics.json").read_text())
        metric = next(
            f"{key} {metrics[key]:.3f}"
            for key in ("accuracy", "r2_score", "mae", "loss")
            if key in metrics
        )
        return (
            f"{name:14} {task:10} {len(rows):4} epochs, best {best:4}, "
            f"{'cap hit' if capped else 'early stop':10} {metric:16} {seconds:6.0f} s"
        )


if __name__ == "__main__":
    for name in sys.argv[1:] or DATASETS:
        print(run(name), flush=True)
