"""A generated script given bad data stops with a one-line error, never a traceback."""

import os
import subprocess
import sys

import numpy as np
import pytest

from kgen import generate


def run_generated(tmp_path, task, data, *args):
    script = tmp_path / "train.py"
    script.write_text(generate.render(generate.ScriptSpec.build(task, data)))
    return subprocess.run(
        [sys.executable, "train.py", *args], cwd=tmp_path, check=False, capture_output=True, text=True
    )


def assert_one_line_error(result, message):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert message in result.stderr.strip().splitlines()[-1], result.stderr


def test_missing_data_path(tmp_path):
    result = run_generated(tmp_path, "binary", "vector", "--data", "nowhere.csv")
    assert_one_line_error(result, "--data nowhere.csv does not exist")


def test_missing_target_column(tmp_path):
    (tmp_path / "data.csv").write_text("a,b,label\n1,2,x\n3,4,y\n")
    result = run_generated(tmp_path, "binary", "vector", "--data", "data.csv")
    assert_one_line_error(result, "has no 'target' column; name the target with --target")


def test_empty_class_folders(tmp_path):
    (tmp_path / "images" / "cats").mkdir(parents=True)
    result = run_generated(tmp_path, "multiclass", "image", "--data", "images")
    assert_one_line_error(result, "no .png, .jpg, .jpeg, .bmp, .gif files in class sub-folders")


@pytest.mark.parametrize("data, suffix", [("image", ".png"), ("audio", ".wav"), ("volume", ".npy")])
def test_unreadable_sample_file(tmp_path, data, suffix):
    # Enough files for three splits: whichever is read first, while training streams them.
    for name in ("a", "b"):
        (tmp_path / "samples" / name).mkdir(parents=True)
        for index in range(3):
            (tmp_path / "samples" / name / f"broken{index}{suffix}").write_bytes(b"not really")
    result = run_generated(tmp_path, "binary", data, "--data", "samples")
    assert_one_line_error(result, "error: cannot read samples/")
    assert "/broken" in result.stderr and f"{suffix}: " in result.stderr


def run_spec_script(tmp_path, spec_text, *args):
    from kgen.spec_file import load_spec

    (tmp_path / "model.toml").write_text(spec_text)
    script = tmp_path / "train.py"
    script.write_text(generate.render(load_spec(tmp_path / "model.toml")))
    return subprocess.run(
        [sys.executable, "train.py", *args],
        cwd=tmp_path,
        check=False,
        capture_output=True,
        text=True,
    )


TWO_OUTPUTS = """
[inputs.signal]
data = "timeseries"
window = 4
features = 2
[outputs.kind]
task = "multiclass"
classes = ["slow", "fast"]
[outputs.level]
task = "regression"
per_step = true
"""
SERIES = "a,b\n" + "1,2\n" * 4


@pytest.mark.parametrize(
    "rows, files, message",
    [
        (None, {}, "error: data/samples.csv not found"),
        ("signal,kind\n", {}, "error: data/samples.csv has no rows"),
        (
            "signal,kind,level\ns.csv,slow,1 2 3 4\n",
            {"s.csv": SERIES},
            "error: data/samples.csv has 1 row(s); the training, validation and test splits need 3",
        ),
        ("signal,kind\n" + "s.csv,slow\n" * 3, {"s.csv": SERIES}, "has no 'level' column"),
        # A missing file is found before training; a bad one when it is read.
        ("signal,kind,level\n" + "no.csv,slow,1 2 3 4\n" * 3, {}, "error: cannot read data/no.csv"),
        (
            "signal,kind,level\n" + "s.csv,slow,1 2 3 4\n" * 3,
            {"s.csv": "a,b\n1,2\n"},
            "1 rows of 2 numbers; expected (4, 2)",
        ),
        (
            "signal,kind,level\n" + "s.csv,medium,1 2 3 4\n" * 3,
            {"s.csv": SERIES},
            "error: unknown label(s) medium; expected one of: slow, fast",
        ),
        (
            "signal,kind,level\n" + "s.csv,slow,1 2 3\n" * 3,
            {"s.csv": SERIES},
            "error: level row 1: 3 values, one per time step needs 4",
        ),
    ],
)
def test_bad_samples_csv(tmp_path, rows, files, message):
    data = tmp_path / "data"
    data.mkdir()
    if rows is not None:
        (data / "samples.csv").write_text(rows)
    for name, text in files.items():
        (data / name).write_text(text)
    result = run_spec_script(tmp_path, TWO_OUTPUTS, "--data", "data")
    assert_one_line_error(result, message)


def test_tags_must_match_the_words(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "one.txt").write_text("three words here")
    (tmp_path / "data" / "labels.csv").write_text("filename,tags\none.txt,O O\n")
    result = run_generated(tmp_path, "tagging", "text", "--data", "data")
    assert_one_line_error(result, "error: labels row 1: 2 tags for 3 words")


def test_feature_columns_must_exist(tmp_path):
    spec = '[inputs.table]\ndata = "vector"\ncolumns = ["a", "height"]\n[outputs.target]\ntask = "binary"\n'
    (tmp_path / "data.csv").write_text("a,b,target\n1,2,x\n3,4,y\n")
    result = run_spec_script(tmp_path, spec, "--data", "data.csv")
    assert_one_line_error(result, "error: data.csv has no height column (columns: a, b)")


def write_labels_csv(folder, rows):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "labels.csv").write_text("".join(",".join(row) + "\n" for row in rows))


def test_message_names_label_values_without_reprs(tmp_path):
    (tmp_path / "data" / "texts").mkdir(parents=True)
    for name in ("a", "b"):
        (tmp_path / "data" / "texts" / f"{name}.txt").write_text("some words")
    write_labels_csv(
        tmp_path / "data", [("filename", "target"), ("texts/a.txt", "cat"), ("texts/b.txt", "cat")]
    )
    result = run_generated(tmp_path, "binary", "text", "--data", "data")
    assert_one_line_error(
        result, "error: binary classification needs exactly 2 label values, found 1: cat"
    )


def test_missing_file_is_named_as_labels_csv_wrote_it(tmp_path):
    write_labels_csv(tmp_path / "data", [("filename", "target"), ("img/missing.png", "cat")])
    result = run_generated(tmp_path, "multiclass", "image", "--data", "data")
    assert_one_line_error(
        result, "error: data/labels.csv lists img/missing.png, which does not exist"
    )


def test_text_that_is_not_utf8_is_named(tmp_path):
    for name in ("neg", "pos"):
        (tmp_path / "data" / name).mkdir(parents=True)
        (tmp_path / "data" / name / "ok.txt").write_text("fine words")
    (tmp_path / "data" / "neg" / "latin.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    result = run_generated(tmp_path, "binary", "text", "--data", "data")
    assert_one_line_error(
        result,
        "error: cannot read data/neg/latin.txt: not UTF-8 text (byte 0xe9 at 3); save it as UTF-8",
    )


def test_file_broken_past_its_header_stops_training_with_one_line(tmp_path):
    """A JPEG cut short passes the header checks made before training; it fails only when a
    reading thread decodes it, mid-epoch. That thread's error still comes out as one line."""
    import io

    from PIL import Image

    rng = np.random.default_rng(0)
    for index in range(96):
        folder = tmp_path / "data" / ("a" if index % 2 else "b")
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype="uint8")).save(folder / f"{index}.png")
    jpeg = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype="uint8")).save(jpeg, "JPEG")
    (tmp_path / "data" / "a" / "cut.jpg").write_bytes(jpeg.getvalue()[:2000])
    result = run_generated(tmp_path, "binary", "image", "--data", "data", "--epochs", "2")
    assert "Trainable params" in result.stdout  # the model was built: training had begun
    assert_one_line_error(result, "error: cannot read data/a/cut.jpg: image file is truncated")


def test_unreadable_image_message_has_no_object_repr(tmp_path):
    from PIL import Image

    for name in ("a", "b"):
        (tmp_path / "data" / name).mkdir(parents=True)
    (tmp_path / "data" / "a" / "broken.png").write_bytes(b"not really")
    Image.new("L", (8, 8)).save(tmp_path / "data" / "b" / "fine.png")
    result = run_generated(tmp_path, "binary", "image", "--data", "data")
    assert_one_line_error(
        result, "error: cannot read data/a/broken.png: not an image file Pillow can read"
    )
    assert "object at 0x" not in result.stderr


def test_target_needs_labels_csv(tmp_path):
    (tmp_path / "data" / "cats").mkdir(parents=True)
    result = run_generated(tmp_path, "binary", "audio", "--data", "data", "--target", "kind")
    assert_one_line_error(
        result, "error: --target names a labels.csv column, and data has no labels.csv"
    )


def test_options_and_data_are_checked_before_keras_is_imported(tmp_path):
    # A keras package that stops any script importing it: the error must come first.
    (tmp_path / "shadow" / "keras").mkdir(parents=True)
    (tmp_path / "shadow" / "keras" / "__init__.py").write_text('raise SystemExit("keras imported")')
    script = tmp_path / "train.py"
    script.write_text(generate.render(generate.ScriptSpec.build("multiclass", "image")))
    jax_cluster = {"JAX_COORDINATOR_ADDRESS": "127.0.0.1:1234"}  # without the other two
    for args, environment, message in [
        (["--data", "nowhere"], {}, "--data nowhere does not exist"),
        (["--synthetic", "5"], {}, "--synthetic needs at least 20 samples"),
        (["--data", "x", "--epochs", "many"], {}, "argument --epochs: invalid int value: 'many'"),
        (
            ["--synthetic", "20", "--distribute"],
            jax_cluster,
            "needs all of JAX_COORDINATOR_ADDRESS, JAX_NUM_PROCESSES, JAX_PROCESS_ID",
        ),
    ]:
        result = subprocess.run(
            [sys.executable, "train.py", *args],
            cwd=tmp_path,
            env={**os.environ, **environment, "PYTHONPATH": str(tmp_path / "shadow")},
            check=False,
            capture_output=True,
            text=True,
        )
        assert_one_line_error(result, message)


def test_bad_data_creates_no_output_folder(tmp_path):
    (tmp_path / "images" / "cats").mkdir(parents=True)
    result = run_generated(tmp_path, "multiclass", "image", "--data", "images")
    assert_one_line_error(result, "no .png, .jpg, .jpeg, .bmp, .gif files")
    assert not (tmp_path / "output").exists()


def test_failed_rerun_leaves_no_stale_outputs(tmp_path):
    # An earlier run's outputs, then a run whose files cannot be read once training starts.
    (tmp_path / "output").mkdir()
    for name in ("model.keras", "metrics.json", "history.png", "kept.txt"):
        (tmp_path / "output" / name).write_text("from an earlier run")
    for name in ("a", "b"):
        (tmp_path / "samples" / name).mkdir(parents=True)
        for index in range(3):
            (tmp_path / "samples" / name / f"broken{index}.png").write_bytes(b"not really")
    result = run_generated(tmp_path, "binary", "image", "--data", "samples")
    assert_one_line_error(result, "error: cannot read samples/")
    assert sorted(path.name for path in (tmp_path / "output").iterdir()) == ["kept.txt"]
