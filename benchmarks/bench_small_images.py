"""Why a generated image script fails on a small set, measured rather than guessed (issue 11).

The set: 200 real grayscale 25x25 images in two classes (100/100), digits 3 and 8 from
scikit-learn's bundled digits, upscaled, laid out in class folders as the README says. Each
variant edits the generated script as one suspected cause would be removed, then runs it with
its defaults and reports the test accuracy, AUC, the epoch with the best validation loss and
the wall time, beside logistic regression on the raw pixels of the same training split.

    python benchmarks/bench_small_images.py [variant ...]   # default: all of them
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from sklearn import datasets
from sklearn.linear_model import LogisticRegression

from kgen import generate

# Each variant: (description, [(regex, replacement), ...]) applied to the script's source.
VARIANTS = {
    "as-is": ("generated script unchanged (128x128 RGB canvas)", []),
    "25px": (
        "IMAGE_SHAPE = (25, 25, 1): no upsampling",
        [(r"IMAGE_SHAPE = \(.*\)", "IMAGE_SHAPE = (25, 25, 1)")],
    ),
    "25px-nobn": (
        "25px, BatchNormalization removed",
        [
            (r"IMAGE_SHAPE = \(.*\)", "IMAGE_SHAPE = (25, 25, 1)"),
            (r"\n *x = layers.BatchNormalization\(.*\)\(x\)", ""),
        ],
    ),
    "as-is-nobn": (
        "128px, BatchNormalization removed",
        [(r"\n *x = layers.BatchNormalization\(.*\)\(x\)", "")],
    ),
    "25px-patience20": (
        "25px, PATIENCE = 20",
        [
            (r"IMAGE_SHAPE = \(.*\)", "IMAGE_SHAPE = (25, 25, 1)"),
            (r"PATIENCE = 8", "PATIENCE = 20"),
        ],
    ),
    "25px-lr3e-4": (
        "25px, LEARNING_RATE = 3e-4",
        [
            (r"IMAGE_SHAPE = \(.*\)", "IMAGE_SHAPE = (25, 25, 1)"),
            (r"LEARNING_RATE = 1e-3", "LEARNING_RATE = 3e-4"),
        ],
    ),
    "25px-val30": (
        "25px, VALIDATION_FRACTION = 0.3",
        [
            (r"IMAGE_SHAPE = \(.*\)", "IMAGE_SHAPE = (25, 25, 1)"),
            (r"VALIDATION_FRACTION = 0.15", "VALIDATION_FRACTION = 0.3"),
        ],
    ),
    "25px-groupnorm": (
        "25px, GroupNormalization(groups=8) for BatchNormalization",
        [
            (r"IMAGE_SHAPE = \(.*\)", "IMAGE_SHAPE = (25, 25, 1)"),
            (r"BatchNormalization\(momentum=0.9\)", "GroupNormalization(groups=8)"),
        ],
    ),
    "25px-bn-bs8": (
        "25px, --batch-size 8 (more BatchNormalization updates)",
        [
            (r"IMAGE_SHAPE = \(.*\)", "IMAGE_SHAPE = (25, 25, 1)"),
            (r"BATCH_SIZE = 32", "BATCH_SIZE = 8"),
        ],
    ),
    "current": ("the script kgen generates now, unchanged", []),
    "current-25px": (
        "the script kgen generates now, IMAGE_SHAPE = (25, 25, 1)",
        [(r"IMAGE_SHAPE = \(.*\)", "IMAGE_SHAPE = (25, 25, 1)")],
    ),
}


def write_dataset(root):
    digits = datasets.load_digits()
    pixels, labels = [], []
    for image, label in zip(digits.images, digits.target):
        if label not in (3, 8) or labels.count(label) >= 100:
            continue
        picture = Image.fromarray((image * 255 / 16).astype("uint8")).resize(
            (25, 25), Image.BILINEAR
        )
        folder = root / f"digit_{label}"
        folder.mkdir(parents=True, exist_ok=True)
        picture.save(folder / f"{len(labels):03d}.png")
        pixels.append(np.asarray(picture, dtype="float32").ravel() / 255)
        labels.append(label)
    return np.array(pixels), np.array(labels)


def baseline(pixels, labels, seed=42):
    """Logistic regression on the script's own training split (same shuffle, same fractions)."""
    # The script lists class folders in sorted order, files sorted: digit_3 first, then digit_8.
    order = np.argsort(labels, kind="stable")
    pixels, labels = pixels[order], labels[order]
    permutation = np.random.default_rng(seed).permutation(len(labels))
    num = int(len(labels) * 0.15)
    test, train = permutation[:num], permutation[2 * num :]
    model = LogisticRegression(max_iter=2000).fit(pixels[train], labels[train])
    return model.score(pixels[test], labels[test])


def run(variant, workdir, arch):
    description, edits = VARIANTS[variant]
    source = generate.render(generate.ScriptSpec.build("binary", "image", arch))
    for pattern, replacement in edits:
        source, count = re.subn(pattern, replacement, source)
        assert count, (variant, pattern)
    script = workdir / f"train_{variant}_{arch}.py"
    script.write_text(source)
    out = workdir / f"out_{variant}_{arch}"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", TF_ENABLE_ONEDNN_OPTS="0")
    start = time.perf_counter()
    subprocess.run(
        # The causes are measured without augmentation; "current" runs the defaults.
        [sys.executable, script.name, "--data", "digits", "--output-dir", out.name]
        + ([] if variant.startswith("current") else ["--no-augment"]),
        cwd=workdir,
        env=env,
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - start
    metrics = json.loads((out / "metrics.json").read_text())
    log = (out / "training_log.csv").read_text().splitlines()
    header = log[0].split(",")
    val_loss = [float(row.split(",")[header.index("val_loss")]) for row in log[1:]]
    best = int(np.argmin(val_loss)) + 1
    return description, metrics, best, len(val_loss), wall


def main():
    variants = sys.argv[1:] or list(VARIANTS)
    arch = os.environ.get("ARCH", "sepconv2d")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        pixels, labels = write_dataset(workdir / "digits")
        print(f"logistic regression on raw pixels: test accuracy {baseline(pixels, labels):.3f}")
        print(f"| variant ({arch}) | test accuracy | AUC | best epoch / run | wall |")
        print("| --- | --- | --- | --- | --- |")
        for variant in variants:
            description, metrics, best, epochs, wall = run(variant, workdir, arch)
            print(
                f"| {description} | {metrics['accuracy']:.3f} | {metrics['auc']:.3f} "
                f"| {best} / {epochs} | {wall:.0f} s |",
                flush=True,
            )


if __name__ == "__main__":
    main()
