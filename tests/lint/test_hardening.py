"""`kgen lint` on what users' disks really hold: folders and files the user may not read or
write (real modes, applied by the kernel: see the `unprivileged` fixture), FIFOs named like
scripts, empty selections, folders without Python files, valid code too deep to analyse and
files too big to."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from kgen.lint.cli import main

STACK = textwrap.dedent("""\
    from keras import layers, Sequential
    model = Sequential([layers.Input((None, 4)), layers.LSTM(32), layers.LSTM(16)])
    """)
# Two fixable KG002 findings and one unfixable KG001: "Fixed 2 findings" when written.
FIXABLE = textwrap.dedent("""\
    import keras
    from keras import layers
    model = keras.Sequential([layers.Input((None, 4)), layers.LSTM(8), layers.GRU(8),
                              layers.LSTM(4), layers.Dense(3, activation="sigmoid")])
    model.compile(loss="sparse_categorical_crossentropy")
    """)


def lint(capsys, *args) -> tuple[int, str, str]:
    code = main(["--no-cache", "--jobs", "1", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def codes(out: str) -> list[tuple[str, str]]:
    return [(f["path"], f["code"]) for f in json.loads(out)]


def test_unreadable_folder_with_a_pyproject_is_one_error_and_the_run_goes_on(unprivileged, capsys):
    for folder in ("a_locked", "b_open"):
        (unprivileged.folder / folder).mkdir()
        (unprivileged.folder / folder / "rnn.py").write_text(STACK)
    (unprivileged.folder / "a_locked" / "pyproject.toml").write_text("[tool.kgen.lint]\n")
    os.chmod(unprivileged.folder / "a_locked", 0)
    with unprivileged.user():
        code, out, err = lint(capsys, "--format", "json", ".")
    assert code == 2
    assert err == "kgen: error: a_locked: permission denied\n"
    assert codes(out) == [("b_open/rnn.py", "KG002")]


def test_unreadable_pyproject_is_one_error_for_its_files_only(unprivileged, capsys):
    for folder in ("a_config", "b_open"):
        (unprivileged.folder / folder).mkdir()
        for name in ("one.py", "two.py"):
            (unprivileged.folder / folder / name).write_text(STACK)
    pyproject = unprivileged.folder / "a_config" / "pyproject.toml"
    pyproject.write_text('[tool.kgen.lint]\nselect = ["KG001"]\n')
    os.chmod(pyproject, 0)
    with unprivileged.user():
        code, out, err = lint(capsys, "--format", "json", ".")
    assert code == 2
    assert err == f"kgen: error: cannot read {pyproject.resolve()}: permission denied\n"
    assert codes(out) == [("b_open/one.py", "KG002"), ("b_open/two.py", "KG002")]


def test_unreadable_file_named_among_others_is_one_error_and_theirs_are_shown(unprivileged, capsys):
    for name in ("a.py", "secret.py", "z.py"):
        (unprivileged.folder / name).write_text(STACK)
    os.chmod(unprivileged.folder / "secret.py", 0)
    with unprivileged.user():
        code, out, err = lint(capsys, "a.py", "secret.py", "z.py")
    assert code == 2
    assert err == "kgen: error: secret.py: permission denied\n"
    assert [line.split(":")[0] for line in out.splitlines() if "KG002" in line] == ["a.py", "z.py"]


def test_file_in_an_unsearchable_folder_named_among_others_is_one_error(unprivileged, capsys):
    (unprivileged.folder / "locked").mkdir()
    for path in ("a.py", "locked/b.py"):
        (unprivileged.folder / path).write_text(STACK)
    os.chmod(unprivileged.folder / "locked", 0)
    with unprivileged.user():
        code, out, err = lint(capsys, "locked/b.py", "a.py")
    assert code == 2 and err == "kgen: error: locked/b.py: permission denied\n"
    assert [line.split(":")[0] for line in out.splitlines() if "KG002" in line] == ["a.py"]


def test_fix_never_replaces_a_read_only_file(unprivileged, capsys):
    (unprivileged.folder / "locked.py").write_text(FIXABLE)
    (unprivileged.folder / "open.py").write_text(STACK)
    os.chmod(unprivileged.folder / "locked.py", 0o444)
    if os.geteuid() == 0:
        os.chown(unprivileged.folder / "open.py", 65534, 65534)
    with unprivileged.user():
        code, out, err = lint(capsys, "--fix", "locked.py", "open.py")
    assert code == 2
    assert err == ("kgen: error: locked.py: not fixed: permission denied (the file is read-only)\n")
    assert (unprivileged.folder / "locked.py").read_text() == FIXABLE
    assert oct((unprivileged.folder / "locked.py").stat().st_mode & 0o777) == "0o444"
    assert "return_sequences=True" in (unprivileged.folder / "open.py").read_text()
    # The one fix written is counted; the read-only file's three findings are all shown.
    summary = [
        "Fixed 1 finding.",
        "Found 3 findings (3 errors).",
        "[*] 2 fixable with the `--fix` option.",
    ]
    assert out.splitlines()[-3:] == summary
    assert [line.split(":")[0] for line in out.splitlines() if ": KG" in line] == ["locked.py"] * 3


def test_fix_in_a_read_only_folder_reports_what_happened(unprivileged, capsys):
    folder = unprivileged.folder / "ro"
    folder.mkdir()
    (folder / "train.py").write_text(FIXABLE)
    if os.geteuid() == 0:
        os.chown(folder / "train.py", 65534, 65534)  # the file is writable, its folder is not
    os.chmod(folder, 0o555)
    with unprivileged.user():
        code, out, err = lint(capsys, "--fix", "ro/train.py")
    assert code == 2
    assert err == "kgen: error: ro/train.py: not fixed: permission denied\n"
    assert "Fixed" not in out
    assert out.splitlines()[-2:] == [
        "Found 3 findings (3 errors).",
        "[*] 2 fixable with the `--fix` option.",
    ]
    assert (folder / "train.py").read_text() == FIXABLE


def _lint_process(*args, cwd):
    """A real process with a timeout: a FIFO that blocked the reader would hang it."""
    return subprocess.run(
        [sys.executable, "-m", "kgen", "lint", "--no-cache", *map(str, args)],
        cwd=cwd, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifos_named_like_scripts_are_never_read(tmp_path):
    (tmp_path / "pkg").mkdir()
    os.mkfifo(tmp_path / "pkg" / "pipe.py")
    (tmp_path / "pkg" / "rnn.py").write_text(STACK)
    walked = _lint_process("pkg", cwd=tmp_path)
    assert (walked.returncode, walked.stderr) == (1, "")
    assert "pkg/rnn.py:2:" in walked.stdout and "pipe" not in walked.stdout
    given = _lint_process("pkg/pipe.py", "pkg/rnn.py", cwd=tmp_path)
    assert given.returncode == 2
    assert given.stderr == "kgen: error: pkg/pipe.py: not a regular file\n"
    assert "pkg/rnn.py:2:" in given.stdout


@pytest.mark.parametrize(
    ("config", "args", "message"),
    [
        (None, ["--select", ""], "--select is empty: no rule would run"),
        ("select = []\n", [], "select in [tool.kgen.lint] of "),
    ],
)
def test_an_empty_selection_is_an_error(tmp_path, monkeypatch, capsys, config, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rnn.py").write_text(STACK)
    if config:
        (tmp_path / "pyproject.toml").write_text("[tool.kgen.lint]\n" + config)
    code, out, err = lint(capsys, *args, "rnn.py")
    assert code == 2 and "All checks passed" not in out
    assert err.startswith(f"kgen: error: {message}") and err.count("\n") == 1
    assert err.rstrip().endswith("no rule would run (leave it out to run them all)")


def test_a_folder_without_python_files_is_a_warning(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.txt").write_text("no code here\n")
    code, out, err = lint(capsys, "docs")
    assert (code, out) == (0, "No Python files to lint.\n")
    assert err == "kgen: warning: no Python files found in docs\n"


VALID_BUT_DEEP = {
    "sum.py": "import keras\nx = " + "+".join(["1"] * 1000) + "\n",
    "chain.py": "import keras\nmodel = keras.Sequential()\nmodel" + ".add(1)" * 3000 + "\n",
}


def test_valid_code_too_deep_to_analyse_is_info_never_an_error(tmp_path):
    for name, source in VALID_BUT_DEEP.items():
        (tmp_path / name).write_text(source)
    (tmp_path / "rnn.py").write_text(STACK)
    run = _lint_process("--format", "json", ".", cwd=tmp_path)
    assert run.stderr == ""
    findings = {f["path"]: f for f in json.loads(run.stdout)}
    for name in VALID_BUT_DEEP:
        assert findings[name]["severity"] == "info"
        assert findings[name]["message"].startswith("not analysed: expressions nested over")
    assert findings["rnn.py"]["code"] == "KG002"  # the other files' findings still count
    assert run.returncode == 1
    alone = _lint_process(*VALID_BUT_DEEP, cwd=tmp_path)
    assert alone.returncode == 0 and "Found 2 findings (2 info)." in alone.stdout


def test_files_over_the_size_bound_are_skipped_with_an_info(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.kgen.lint]\nmax-file-size = 100\n")
    (tmp_path / "big.py").write_text(STACK + "# padding\n" * 10)  # 217 bytes
    (tmp_path / "small.py").write_text("import keras\n")
    code, out, err = lint(capsys, "big.py", "small.py")
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == (
        "big.py:1:1: KG000 not analysed: 217 bytes, over the 100-byte limit "
        "(max-file-size in [tool.kgen.lint])"
    )
    (tmp_path / "pyproject.toml").write_text("[tool.kgen.lint]\nmax-file-size = 0\n")
    assert "KG002" in lint(capsys, "big.py")[1]
    # Through the cache both ways: "not analysed" is never stored, nor read back.
    cached = ["--format", "json", "big.py"]
    assert codes(main(cached) and capsys.readouterr().out) == [("big.py", "KG002")]
    (tmp_path / "pyproject.toml").write_text("[tool.kgen.lint]\nmax-file-size = 100\n")
    assert main(cached) == 0
    assert [f["severity"] for f in json.loads(capsys.readouterr().out)] == ["info"]
    (tmp_path / "pyproject.toml").write_text("[tool.kgen.lint]\nmax-file-size = 0\n")
    assert codes(main(cached) and capsys.readouterr().out) == [("big.py", "KG002")]
    (tmp_path / "pyproject.toml").write_text('[tool.kgen.lint]\nmax-file-size = "1MB"\n')
    code, _, err = lint(capsys, "big.py")
    assert code == 2 and "max-file-size in [tool.kgen.lint] of" in err


def notebook(*cells: list[str]) -> dict:
    code = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
             "source": lines} for lines in cells]  # fmt: skip
    intro = {"cell_type": "markdown", "metadata": {}, "source": "# Tïtle\n"}
    return {"cells": [intro, *code], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


RNN_STACK = (
    "model = keras.Sequential([keras.Input((10, 4)), keras.layers.LSTM(8), keras.layers.LSTM(4)])\n"
)
MAGICS = notebook(
    ["import keras\n", "files = !ls\n", "out = %timeit -o f()\n", "?model\n", "model??\n"],
    ["for f in files:\n", "    !echo {f}\n", "if out:\n", "    %time g()\n"],
    ["%%time\n", RNN_STACK],
)


def test_notebook_magics_are_not_syntax_errors_and_a_time_cell_is_linted(tmp_path, capsys):
    (tmp_path / "magics.ipynb").write_text(json.dumps(MAGICS, indent=1))
    code, out, err = lint(capsys, tmp_path / "magics.ipynb")
    assert (code, err) == (1, "")
    assert out.splitlines()[0] == (
        f"{tmp_path}/magics.ipynb:cell 3:2:49: KG002 [*] LSTM feeds another recurrent layer "
        "(LSTM) but does not return sequences"
    )
    assert "KG000" not in out


def test_notebook_syntax_error_names_its_cell_and_line(tmp_path, capsys):
    broken = notebook(*[cell["source"] for cell in MAGICS["cells"][1:]], ["x = 1\n", "y = (\n"])
    (tmp_path / "broken.ipynb").write_text(json.dumps(broken, indent=1))
    code, out, _ = lint(capsys, "--format", "json", tmp_path / "broken.ipynb")
    assert code == 1
    [finding] = json.loads(out)
    assert (finding["code"], finding["cell"], finding["line"], finding["column"]) == (
        "KG000",
        4,
        2,
        5,
    )
    assert finding["message"] == "syntax error: '(' was never closed"


@pytest.mark.parametrize("layout", [{"indent": 2, "ensure_ascii": True}, {"indent": 1}])
def test_fix_on_a_notebook_rewrites_only_the_fixed_line(tmp_path, capsys, layout):
    path = tmp_path / "magics.ipynb"
    before = json.dumps(MAGICS, **layout)
    path.write_text(before)
    code, out, _ = lint(capsys, "--fix", path)
    assert code == 0 and out.splitlines()[0] == "Fixed 1 finding."
    after = path.read_text()
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b]
    assert len(before.splitlines()) == len(after.splitlines()) and len(changed) == 1
    assert "LSTM(8, return_sequences=True)" in changed[0][1]
    assert json.loads(after)["cells"][0] == MAGICS["cells"][0]  # key order, text: untouched


def test_summary_of_an_unreadable_file_is_one_line(unprivileged):
    from kgen.errors import KgenError
    from kgen.lint.summary import summarize_file

    (unprivileged.folder / "secret.py").write_text(STACK)
    os.chmod(unprivileged.folder / "secret.py", 0)
    with unprivileged.user(), pytest.raises(KgenError) as raised:
        summarize_file(unprivileged.folder / "secret.py")
    assert str(raised.value) == f"cannot read {unprivileged.folder}/secret.py: permission denied"
