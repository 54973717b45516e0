"""Whatever is on disk, `kgen lint` answers with a finding or a one-line error, never a
traceback: odd encodings and line endings, binary files, huge files, nesting deep enough to
crash the parser, broken notebooks, missing or unreadable paths, symbolic link loops."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kgen.lint.cli import main

ODD = Path(__file__).parent.parent / "fixtures" / "odd_inputs"


def lint(capsys, *args) -> tuple[int, list[dict], str]:
    code = main(["--format", "json", *map(str, args)])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else [], err


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def codes_and_lines(findings) -> list[tuple[str, int, int]]:
    return [(f["code"], f["line"], f["column"]) for f in findings]


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("empty.py", []),
        ("crlf.py", [("KG002", 5, 5)]),
        ("utf8_bom.py", [("KG002", 6, 5)]),  # the BOM is not a column
        ("latin1_cookie.py", [("KG002", 7, 5)]),
        ("tabs.py", [("KG001", 9, 3)]),
        ("no_code_cells.ipynb", []),
    ],
)
def test_odd_but_valid_files_are_linted_as_python_reads_them(capsys, fixture, expected):
    code, findings, err = lint(capsys, ODD / fixture)
    assert err == ""
    assert codes_and_lines(findings) == expected
    assert code == (1 if expected else 0)


@pytest.mark.parametrize(
    ("fixture", "line", "column", "message"),
    [
        ("binary.py", 1, 1, "syntax error: not UTF-8 (byte 0x89) and no encoding declared"),
        ("latin1_no_cookie.py", 1, 6, "syntax error: not UTF-8 (byte 0xe8) and no encoding"),
        ("null_byte.py", 2, 6, "syntax error: source contains a null byte"),
    ],
)
def test_files_python_cannot_read_are_kg000(capsys, fixture, line, column, message):
    code, findings, err = lint(capsys, ODD / fixture)
    assert code == 1 and err == ""
    assert codes_and_lines(findings) == [("KG000", line, column)]
    assert findings[0]["message"].startswith(message)


@pytest.mark.parametrize(
    ("cookie", "message"),
    [
        (b"# coding: uft-8\n", "syntax error: unknown encoding: uft-8"),
        (b"# coding: rot13\n", "syntax error: not valid rot13 text"),
        (b"# coding: ascii\nx = '\xc3\xa9'\n", "syntax error: not valid ascii text"),
    ],
)
def test_bad_coding_cookies_are_kg000(project, capsys, cookie, message):
    (project / "cookie.py").write_bytes(cookie)
    code, findings, _ = lint(capsys, "cookie.py")
    assert code == 1 and [f["code"] for f in findings] == ["KG000"]
    assert findings[0]["message"].startswith(message)


def test_broken_notebook_is_a_one_line_error(capsys):
    code, findings, err = lint(capsys, ODD / "broken.ipynb")
    assert code == 2 and findings == []
    assert (
        err
        == f"kgen: error: {ODD / 'broken.ipynb'}: not a Jupyter notebook (invalid JSON or no cells)\n"
    )


def test_non_utf8_notebook_is_a_one_line_error(project, capsys):
    (project / "nb.ipynb").write_bytes(b'{"cells": [], "note": "caf\xe9"}')
    code, _, err = lint(capsys, "nb.ipynb")
    assert code == 2 and err.startswith("kgen: error: nb.ipynb: not a Jupyter notebook (not UTF-8")
    assert err.count("\n") == 1


def test_text_summary_never_says_passed_when_a_file_failed(capsys):
    code = main([str(ODD / "broken.ipynb")])
    out, _ = capsys.readouterr()
    assert code == 2 and "All checks passed" not in out and "1 error" in out


def test_fifty_thousand_line_files(project, capsys):
    body = "".join(f"v{i} = {i}\n" for i in range(49_998))
    (project / "a_clean.py").write_text("import keras\n" + body)
    (project / "b_broken.py").write_text("import keras\n" + body + "model.compile(loss='mse'\n")
    code, findings, err = lint(capsys, "--jobs", "1", ".")
    assert code == 1
    assert err == ""
    assert [(f["path"], f["code"], f["line"]) for f in findings] == [
        ("b_broken.py", "KG000", 50_000)
    ]


DEEP = {
    "parentheses.py": "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n",
    "lists.py": "x = " + "[" * 1000 + "]" * 1000 + "\n",
    "calls.py": "x = " + "f(" * 3000 + ")" * 3000 + "\n",
    "nots.py": "x = " + "not " * 20_000 + "1\n",
    "negations.py": "x = " + "-" * 20_000 + "1\n",
    "sum.py": "x = " + " + ".join(["1"] * 100_000) + "\n",
    "attributes.py": "x = a" + ".b" * 10_000 + "\n",
    # Valid Python, but too deep for libcst's tree: only a file kgen must analyze gets KG000
    # (an info: not analysed).
    "sum_1000.py": "import keras\nx = " + "+".join(["1"] * 1000) + "\n",
}
# The same sum in a file no rule concerns (no Keras): CPython's parser accepts it, no finding.
CLEAN_SUM = "x = " + "+".join(["1"] * 1000) + "\n"


def test_deeply_nested_expressions_never_crash_the_process(tmp_path):
    """libcst's native parser overflows its stack on deep nesting: the process would die with
    a segfault. Run as a real process, so a crash would show as one."""
    for name, source in DEEP.items():
        (tmp_path / name).write_text(source)
    (tmp_path / "shallow.py").write_text("x = " + "(" * 50 + "1" + ")" * 50 + "\n")
    (tmp_path / "clean_sum.py").write_text(CLEAN_SUM)
    run = subprocess.run(
        [sys.executable, "-m", "kgen", "lint", "--no-cache", "--format", "json", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 1 and run.stderr == ""
    findings = {Path(f["path"]).name: f for f in json.loads(run.stdout)}
    assert sorted(findings) == sorted(DEEP)
    assert all(f["code"] == "KG000" for f in findings.values())
    assert findings["parentheses.py"]["message"] == "syntax error: too many nested parentheses"
    # CPython's limits, not syntax errors: left unanalysed, said as an info.
    for name in ("nots.py", "sum.py", "sum_1000.py"):
        assert findings[name]["message"].startswith("not analysed: expressions nested over")
        assert findings[name]["severity"] == "info"


def test_nonexistent_path_is_a_one_line_error_before_any_output(project, capsys):
    (project / "train.py").write_text("import keras\n")
    code = main(["train.py", "missing.py"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err == "kgen: error: missing.py: no such file or directory\n"


def test_symlink_loops(project, capsys):
    (project / "pkg").mkdir()
    (project / "pkg" / "train.py").write_text("import keras\n")
    os.symlink("b.py", project / "pkg" / "a.py")
    os.symlink("a.py", project / "pkg" / "b.py")
    os.symlink("..", project / "pkg" / "parent")  # a directory loop: never followed
    code, findings, err = lint(capsys, "pkg")
    assert code == 2 and findings == []
    assert err.splitlines() == [
        "kgen: error: pkg/a.py: too many levels of symbolic links",
        "kgen: error: pkg/b.py: too many levels of symbolic links",
    ]
    code, _, err = lint(capsys, "pkg/a.py")
    assert code == 2 and err == "kgen: error: pkg/a.py: too many levels of symbolic links\n"


def _deny(monkeypatch, target: Path, *, listing: bool = False):
    """Tests run as root, whom permissions do not stop: make the OS calls fail as they would
    for a user without the permission (test_hardening.py drops root for real)."""
    if listing:
        real_scandir = os.scandir

        def scandir(path="."):
            if Path(path).resolve() == target.resolve():
                raise PermissionError(13, "Permission denied", os.fspath(path))
            return real_scandir(path)

        monkeypatch.setattr(os, "scandir", scandir)


def test_directory_without_permission_is_an_error_and_the_walk_goes_on(
    project, capsys, monkeypatch
):
    for folder in ("a_locked", "b_open"):
        (project / folder).mkdir()
        (project / folder / "rnn.py").write_bytes((ODD / "crlf.py").read_bytes())
    os.chmod(project / "a_locked", 0)
    _deny(monkeypatch, project / "a_locked", listing=True)
    code, findings, err = lint(capsys, ".")
    assert code == 2
    assert err == "kgen: error: a_locked: permission denied\n"
    assert [(f["path"], f["code"]) for f in findings] == [("b_open/rnn.py", "KG002")]
    os.chmod(project / "a_locked", 0o755)


@pytest.mark.parametrize("keras", ["", "import keras\n"])
def test_compiler_warnings_in_linted_code_stay_quiet(tmp_path, keras):
    """CPython warns about invalid escapes when it parses them (a SyntaxWarning, shown by
    default from Python 3.12): linting someone's file must not print or raise it."""
    path = tmp_path / "escapes.py"
    path.write_text(keras + 'pattern = "\\d+"\n')
    run = subprocess.run(
        [sys.executable, "-W", "default", "-m", "kgen", "lint", "--no-cache", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (run.returncode, run.stderr) == (0, "")


def test_nested_output_structures_are_unknown_not_a_crash():
    """Found by the site-packages sweep in Keras's own tests: model outputs given as a dict of
    lists or a list of dicts."""
    from kgen.lint.engine import analyze
    from kgen.lint.rule import all_rules

    source = (
        "import keras\n"
        "inputs = keras.Input((3,))\n"
        "a = keras.layers.Dense(1)(inputs)\n"
        "b = keras.layers.Dense(2, activation='softmax')(inputs)\n"
        "m1 = keras.Model(inputs, {'x': [a, b], 'y': a})\n"
        "m2 = keras.Model(inputs, [{'x': a}, b])\n"
        "m1.compile(loss={'x': 'mse', 'y': 'mse'})\n"
        "m2.compile(loss=['mse', 'categorical_crossentropy'])\n"
        "outer = keras.Sequential([m1])\n"
        "outer.compile(loss='mse')\n"
    )
    _, findings = analyze(source, list(all_rules()))
    assert [f.rule.CODE for f in findings] == []
