"""`kgen new` as a user meets it: help, the matrix, clear one-line errors, safe writes."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kgen import generate
from kgen.cli import app
from kgen.spec_file import load_spec

runner = CliRunner()


def kgen(*args):
    return runner.invoke(app, list(args))


def test_help_lists_commands_and_options():
    result = kgen("--help")
    assert result.exit_code == 0
    assert "new" in result.output
    result = kgen("new", "--help")
    assert result.exit_code == 0
    for option in (
        "--task",
        "--data",
        "--arch",
        "--labels",
        "--pretrained",
        "--spec",
        "--output",
        "--force",
    ):
        assert option in result.output


def test_list_prints_every_modality_and_architecture():
    result = kgen("new", "--list")
    assert result.exit_code == 0
    for data, modality in generate.MODALITIES.items():
        line = next(line for line in result.output.splitlines() if line.startswith(data + " "))
        assert line.rstrip().endswith(", ".join(modality.archs))


def test_writes_the_rendered_script(tmp_path):
    out = tmp_path / "train.py"
    result = kgen("new", "--task", "multilabel", "--data", "image", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text() == generate.render(generate.ScriptSpec.build("multilabel", "image"))
    assert [path.name for path in tmp_path.iterdir()] == ["train.py"]  # no temp file left


ONE_INPUT_SPEC = """\
[inputs.words]
data = "text"
arch = "lstm"

[outputs.topic]
task = "multiclass"
labels = "onehot"
"""


def test_writes_the_script_a_spec_file_describes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("topics.toml").write_text(ONE_INPUT_SPEC)
    result = kgen("new", "--spec", "topics.toml", "-o", "train.py")
    assert result.exit_code == 0, result.output
    assert Path("train.py").read_text() == generate.render(load_spec(Path("topics.toml")))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["topics.toml", "train.py"]


# Files the spec cases below can name, in the folder the command runs in.
SPEC_FILES = {
    "bad.toml": '[inputs.photo]\ndata = "image"\n\n[outputs.label]\ntask = "ranking"\n',
    "broken.toml": "[inputs.photo\n",
    "good.toml": ONE_INPUT_SPEC,
}


@pytest.mark.parametrize(
    "args, message",
    [
        (["--task", "ranking", "--data", "image"], "unknown --task 'ranking'; choose one of:"),
        (["--task", "binary", "--data", "graph"], "unknown --data 'graph'; choose one of:"),
        (["--task", "binary", "--data", "image", "--arch", "gru"], "--arch 'gru' does not fit"),
        (["--task", "binary", "--data", "text", "--labels", "onehot"], "multiclass only"),
        (["--task", "multiclass", "--data", "text", "--labels", "hot"], "unknown --labels"),
        (["--data", "image"], "--task and --data are both required"),
        (["--task", "forecast", "--data", "audio"], "--task forecast needs --data timeseries"),
        (["--task", "binary", "--data", "image", "--pretrained", "VGG99"], "unknown --pretrained"),
        (["--task", "binary", "--data", "text", "--pretrained", "ResNet50"], "needs --data image"),
        (
            ["--task", "binary", "--data", "image", "--pretrained", "ResNet50", "--arch", "conv2d"],
            "--pretrained replaces --arch",
        ),
        (["--task", "binary", "--data", "vector", "-o", "/no/such/dir/t.py"], "does not exist"),
        (
            ["--spec", "bad.toml"],
            "bad.toml:5:1: outputs.label.task: unknown task 'ranking'; choose one of: binary,",
        ),
        (["--spec", "broken.toml"], "broken.toml:1:14: invalid TOML: Expected ']' at the end"),
        (["--spec", "missing.toml"], "cannot read missing.toml: No such file or directory"),
        (
            ["--spec", "good.toml", "--task", "binary"],
            "--spec replaces --task, --data, --arch, --labels and --pretrained; give one or",
        ),
        (["--spec", "good.toml", "--pretrained", "ResNet50"], "--spec replaces --task"),
        (["--spec", "good.toml", "-o", "/no/such/dir/t.py"], "does not exist"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message, tmp_path):
    for name, text in SPEC_FILES.items():
        (tmp_path / name).write_text(text)
    result = subprocess.run(
        [sys.executable, "-m", "kgen", "new", *args],
        cwd=tmp_path,
        check=False,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("kgen: error: ")
    assert message in result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(SPEC_FILES)  # no script


def test_never_overwrites_without_force(tmp_path):
    out = tmp_path / "train.py"
    out.write_text("# my edits\n")
    result = kgen("new", "--task", "binary", "--data", "vector", "-o", str(out))
    assert result.exit_code == 2
    assert "already exists; pass --force" in result.output
    assert out.read_text() == "# my edits\n"
    result = kgen("new", "--task", "binary", "--data", "vector", "-o", str(out), "--force")
    assert result.exit_code == 0
    assert out.read_text().startswith('"""Binary classification of tabular data')


def test_output_path_that_is_a_directory_is_refused(tmp_path):
    result = kgen("new", "--task", "binary", "--data", "vector", "-o", str(tmp_path))
    assert result.exit_code == 2
    assert "is a directory" in result.output


def test_new_never_imports_tensorflow_or_keras(tmp_path):
    code = (
        "import sys; from kgen.cli import app\n"
        "try:\n    app(['new', '--task', 'binary', '--data', 'image', '-o', 't.py'])\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, check=False, capture_output=True, text=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "t.py").is_file()


def test_output_through_a_symlink_with_force_writes_the_target(tmp_path):
    (tmp_path / "real.py").write_text("old\n")
    (tmp_path / "link.py").symlink_to("real.py")
    result = kgen("new", "--task", "binary", "--data", "vector", "-o", str(tmp_path / "link.py"))
    assert result.exit_code == 2 and "already exists; pass --force" in result.output
    args = ("new", "--task", "binary", "--data", "vector", "--force")
    result = kgen(*args, "-o", str(tmp_path / "link.py"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "link.py").is_symlink()
    expected = (Path(__file__).parent.parent / "examples" / "binary_vector.py").read_text()
    assert (tmp_path / "real.py").read_text() == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.py", "real.py"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_output_that_is_not_a_regular_file_is_refused(tmp_path):
    targets = [tmp_path / "pipe.py"]
    os.mkfifo(targets[0])
    try:  # a device of our own (root in a container may create one): /dev/null's numbers
        os.mknod(tmp_path / "null.py", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        targets.append(tmp_path / "null.py")
    except (PermissionError, AttributeError):
        pass
    for target in targets:
        kind = target.stat().st_mode
        result = kgen("new", "--task", "binary", "--data", "vector", "--force", "-o", str(target))
        assert result.exit_code == 2
        assert result.output == (
            f"kgen: error: {target} is not a regular file (a device or FIFO?); "
            "give a file path with -o\n"
        )
        assert target.stat().st_mode == kind  # still a FIFO or device, not replaced


def test_output_dash_is_standard_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = kgen("new", "--task", "binary", "--data", "vector", "-o", "-")
    assert result.exit_code == 0
    expected = (Path(__file__).parent.parent / "examples" / "binary_vector.py").read_text()
    assert result.stdout == expected
    assert list(tmp_path.iterdir()) == []
