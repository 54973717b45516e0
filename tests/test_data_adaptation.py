"""Generated scripts adapt to the user's data: image shape and vocabulary come from the files,
labels.csv and class folders both work, splits are stratified, and logs suit a file."""

import csv
import re
import wave

import numpy as np
import pytest

from kgen import generate


def generate_script(tmp_path, task, data):
    script = tmp_path / "train.py"
    script.write_text(generate.render(generate.ScriptSpec.build(task, data)))
    return script


def write_image(path, rng, brightness, size=(20, 24), mode="L"):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    shape = size if mode == "L" else (*size, 3)
    pixels = rng.uniform(0, 155, shape) + 100 * brightness
    Image.fromarray(pixels.astype("uint8"), mode).save(path)


def write_text(path, rng, positive):
    path.parent.mkdir(parents=True, exist_ok=True)
    words = ["good", "great", "fine"] if positive else ["bad", "poor", "awful"]
    path.write_text(" ".join(rng.choice(words + ["the", "film", "was"], 12)), encoding="utf-8")


def write_clip(path, rng, pitch):
    path.parent.mkdir(parents=True, exist_ok=True)
    time = np.arange(4000) / 16000
    tone = 0.5 * np.sin(2 * np.pi * pitch * time) + rng.normal(0, 0.05, len(time))
    with wave.open(str(path), "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(16000)
        clip.writeframes((np.clip(tone, -1, 1) * 32767).astype("<i2").tobytes())


def class_counts(stdout, split):
    """The class counts the script printed for one split, e.g. {"cat": 21, "dog": 13}."""
    line = re.search(rf"^Classes in the {split} split: (.*)$", stdout, re.MULTILINE).group(1)
    return {name: int(count) for name, count in (item.rsplit(" ", 1) for item in line.split(", "))}


def test_grayscale_images_train_at_their_own_size(tmp_path, run_script):
    import keras

    rng = np.random.default_rng(0)
    # Imbalanced on purpose: 34 bright, 21 dark 20x24 grayscale images in class folders.
    for index in range(55):
        label = "bright" if index < 34 else "dark"
        write_image(tmp_path / "photos" / label / f"{index}.png", rng, label == "bright")
    script = generate_script(tmp_path, "binary", "image")
    result = run_script(script, "--data", "photos", "--epochs", 2, "--output-dir", "out")
    stdout = result.stdout

    assert "Data layout: class sub-folders of photos" in stdout
    assert "Images: 20x24 grayscale" in stdout
    model = keras.models.load_model(tmp_path / "out" / "model.keras")
    assert model.input_shape == (None, 20, 24, 1)

    # Stratified: each split holds each class within one sample of its share of the whole set.
    for split in ("training", "validation", "test"):
        counts = class_counts(stdout, split)
        size = sum(counts.values())
        assert abs(counts["bright"] - size * 34 / 55) <= 1, (split, counts)
        assert abs(counts["dark"] - size * 21 / 55) <= 1, (split, counts)

    # Not a terminal: one plain line per epoch, no progress bars or escape codes.
    assert len(re.findall(r"^Epoch \d+/2: .*val_loss", stdout, re.MULTILINE)) == 2
    assert "\x1b" not in stdout and "━" not in stdout.split("Epoch 1/2")[1]
    assert "Training stopped at the --epochs cap (2), not by early stopping" in stdout
    # The true label alone: no number after it that could read as a confidence.
    truths = re.findall(
        r"^predicted (?:bright|dark) \(\d\.\d\d\), true (.*)$", stdout, re.MULTILINE
    )
    assert truths and set(truths) <= {"bright", "dark"}, stdout


def test_options_override_image_shape_and_quiet_drops_epoch_lines(tmp_path, run_script):
    import keras

    rng = np.random.default_rng(1)
    for index in range(24):
        label = ["a", "b", "c"][index % 3]
        write_image(tmp_path / "photos" / label / f"{index}.png", rng, index % 3 / 2, mode="RGB")
    script = generate_script(tmp_path, "multiclass", "image")
    result = run_script(
        script, "--data", "photos", "--image-size", 16, 12, "--color-mode", "grayscale",
        "--epochs", 1, "--learning-rate", 0.01, "--patience", 3, "--quiet", "--output-dir", "out",
    )  # fmt: skip
    assert "Images: 16x12 grayscale" in result.stdout
    assert "Epoch 1/1" not in result.stdout
    model = keras.models.load_model(tmp_path / "out" / "model.keras")
    assert model.input_shape == (None, 16, 12, 1)
    assert float(np.asarray(model.optimizer.learning_rate)) == pytest.approx(0.01)


def test_embedding_is_sized_from_the_vocabulary(tmp_path, run_script):
    import keras

    rng = np.random.default_rng(2)
    rows = [["file", "sentiment"]]
    for index in range(30):
        name = f"texts/{index:02d}.txt"
        write_text(tmp_path / "reviews" / name, rng, index % 2 == 0)
        rows.append([name, "pos" if index % 2 == 0 else "neg"])
    rows[0][0] = "filename"
    with open(tmp_path / "reviews" / "labels.csv", "w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    script = generate_script(tmp_path, "binary", "text")
    result = run_script(
        script, "--data", "reviews", "--target", "sentiment", "--epochs", 1, "--output-dir", "out"
    )
    assert "Data layout: reviews/labels.csv lists the files and their targets" in result.stdout
    vocabulary = (tmp_path / "out" / "vocabulary.txt").read_text(encoding="utf-8").splitlines()
    assert len(vocabulary) <= 2 + 9  # padding, out-of-vocabulary and at most the nine words
    model = keras.models.load_model(tmp_path / "out" / "model.keras")
    embedding = next(layer for layer in model.layers if isinstance(layer, keras.layers.Embedding))
    assert embedding.input_dim == len(vocabulary)


@pytest.mark.parametrize("task", ["binary", "multiclass"])
@pytest.mark.parametrize("data", ["image", "text", "audio"])
def test_labels_csv_layout_for_classes(tmp_path, run_script, task, data):
    rng = np.random.default_rng(3)
    classes = ["cat", "dog"] if task == "binary" else ["cat", "dog", "owl"]
    suffix = {"image": ".png", "text": ".txt", "audio": ".wav"}[data]
    rows = [["filename", "animal"]]
    for index in range(24):
        label = index % len(classes)
        name = f"files/{index:02d}{suffix}"  # a sub-folder, but not a class folder
        path = tmp_path / "data" / name
        if data == "image":
            write_image(path, rng, label / (len(classes) - 1), size=(16, 16))
        elif data == "text":
            write_text(path, rng, label == 0)
        else:
            write_clip(path, rng, 300 + 500 * label)
        rows.append([name, classes[label]])
    with open(tmp_path / "data" / "labels.csv", "w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    script = generate_script(tmp_path, task, data)
    result = run_script(
        script, "--data", "data", "--target", "animal", "--epochs", 1, "--output-dir", "out"
    )
    assert "Data layout: data/labels.csv lists the files and their targets" in result.stdout
    assert set(class_counts(result.stdout, "training")) == set(classes)
