"""A generated script given bad data stops with a one-line error, never a traceback."""

import subprocess
import sys

import pytest

from kgen import generate


def run_generated(tmp_path, task, data, *args):
    script = tmp_path / "train.py"
    script.write_text(generate.render(generate.ScriptSpec.build(task, data)))
    return subprocess.run(
        [sys.executable, "train.py", *args],
        cwd=tmp_path,
        check=False,
        capture_output=True,
        text=True,
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
    for name in ("a", "b"):
        (tmp_path / "samples" / name).mkdir(parents=True)
        (tmp_path / "samples" / name / f"broken{suffix}").write_bytes(b"not really")
    result = run_generated(tmp_path, "binary", data, "--data", "samples")
    assert_one_line_error(result, f"error: cannot read samples/a/broken{suffix}: ")
