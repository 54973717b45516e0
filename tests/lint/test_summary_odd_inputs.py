"""`kgen summary` reads files through `kgen lint`'s reader and never crashes: odd encodings,
binary files, FIFOs, nesting that would overflow the parser's stack (run as real processes,
where a segfault shows), notebooks; and a fuzz campaign like the linter's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import keras_program, mutated

from kgen.errors import KgenError
from kgen.lint.summary import summarize, summarize_file

MODEL = "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])\n"
NESTED = "cannot parse: line 1: syntax error: too many nested parentheses"
ODD = {
    "not_utf8.py": (
        b'import keras\nx = "\xe8"\n' + MODEL.encode(),
        "kgen: error: not_utf8.py:2:6: not UTF-8 (byte 0xe8) and no encoding declared (PEP 263)",
    ),
    "binary.py": (
        b"\x89PNG\r\n\x1a\n\x00\x00",
        "kgen: error: binary.py:1:1: not UTF-8 (byte 0x89) and no encoding declared (PEP 263)",
    ),
    "brackets_1000.py": (
        ("x = " + "[" * 1000 + "]" * 1000 + "\n").encode(),
        f"kgen: error: brackets_1000.py: {NESTED}",
    ),
    "brackets_5000.py": (
        ("x = " + "(" * 5000 + "1" + ")" * 5000 + "\n").encode(),
        f"kgen: error: brackets_5000.py: {NESTED}",
    ),
    "sum_1000.py": (
        ("import keras\nx = " + "+".join(["1"] * 1000) + "\n").encode(),
        "kgen: error: sum_1000.py: not analysed: expressions nested over 200 levels deep",
    ),
}


def summary_process(path: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kgen", "summary", path],
        cwd=cwd, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize("name", sorted(ODD))
def test_odd_files_are_one_line_errors_never_a_crash(tmp_path, name):
    data, message = ODD[name]
    (tmp_path / name).write_bytes(data)
    run = summary_process(name, tmp_path)
    assert (run.returncode, run.stdout, run.stderr) == (2, "", message + "\n")


def test_a_coding_cookie_is_honoured(tmp_path):
    (tmp_path / "latin1.py").write_bytes(
        b'# -*- coding: latin-1 -*-\nimport keras\ns = "\xe8"\n' + MODEL.encode()
    )
    run = summary_process("latin1.py", tmp_path)
    assert run.returncode == 0 and run.stderr == ""
    assert run.stdout.splitlines()[0] == 'Model: "sequential" (sequential, line 4)'
    assert "Total params: 10" in run.stdout


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_is_never_read(tmp_path):
    os.mkfifo(tmp_path / "pipe.py")
    run = summary_process("pipe.py", tmp_path)
    assert (run.returncode, run.stderr) == (
        2,
        "kgen: error: cannot read pipe.py: not a regular file\n",
    )


def test_notebooks_are_summarised_with_their_cells(tmp_path):
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# A model"]},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": ["import keras\n", "!pip list\n", "files = !ls\n"]},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": ["%%time\n", MODEL]},
    ]  # fmt: skip
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "nb.ipynb").write_text(json.dumps(notebook, indent=1))
    run = summary_process("nb.ipynb", tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[0] == 'Model: "sequential" (sequential, cell 2, line 2)'
    assert "dense (Dense)" in run.stdout and "Total params: 10" in run.stdout
    (tmp_path / "broken.ipynb").write_text("{not json")
    broken = summary_process("broken.ipynb", tmp_path)
    assert broken.stderr == (
        "kgen: error: broken.ipynb: not a Jupyter notebook (invalid JSON or no cells)\n"
    )


def _one_line_or_table(call) -> None:
    try:
        text = call()
    except KgenError as exc:
        assert "\n" not in str(exc) and str(exc)
    else:
        assert text.startswith(('Model: "', "No Keras model found"))


@settings(max_examples=200, deadline=None)
@given(mutated())
def test_summary_of_mutated_programs_is_a_table_or_one_line_error(source):
    _one_line_or_table(lambda: summarize(source))


@settings(max_examples=60, deadline=None)
@given(keras_program())
def test_summary_of_generated_programs_finds_their_model(source):
    assert summarize(source).startswith('Model: "')


def _bytes_of_files():
    """Raw bytes, and programs broken at the byte level: cut mid-character, a stray byte, the
    wrong coding cookie, a BOM, a null."""
    damaged = st.tuples(mutated(), st.sampled_from(
        [b"", b"\xe8", b"\xff\xfe", b"\x00", b"# coding: latin-1\n", b"\xef\xbb\xbf",
         b"# coding: nonsense\n", "é".encode()[:1]]
    ), st.booleans()).map(lambda t: t[1] + t[0].encode() if t[2] else t[0].encode() + t[1])  # fmt: skip
    return st.one_of(st.binary(max_size=200), damaged)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_bytes_of_files(), suffix=st.sampled_from([".py", ".ipynb"]))
def test_summary_of_any_file_is_a_table_or_one_line_error(data, suffix):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)
        _one_line_or_table(lambda: summarize_file(path))


def test_a_model_with_no_layers_is_an_empty_table():
    """Found by the fuzz campaign: `Sequential()` with nothing added crashed the table."""
    text = summarize("import keras\nmodel = keras.Sequential()\n")
    assert text.splitlines()[0] == 'Model: "sequential" (sequential, line 2)'
    assert text.splitlines()[-3:] == [
        "Total params: 0",
        "Trainable params: 0",
        "Non-trainable params: 0",
    ]
