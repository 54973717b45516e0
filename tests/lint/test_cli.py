"""`kgen lint` end to end, in-process: output formats, exit codes, selection, configuration,
suppression comments, fixes, file discovery and notebooks."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from typer.testing import CliRunner

from kgen.cli import app
from kgen.lint.cli import main
from kgen.lint.rule import all_rules

MISMATCH = textwrap.dedent("""\
    import keras
    from keras import layers

    model = keras.Sequential([
        keras.Input(shape=(20,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    """)
STACK = textwrap.dedent("""\
    from keras import layers, Sequential
    model = Sequential([layers.Input((None, 4)), layers.LSTM(32), layers.LSTM(16)])
    """)
CONV = textwrap.dedent("""\
    import keras
    from keras import layers
    inputs = keras.Input(shape=(64, 64, 3))
    x = layers.Conv2D(32, 3)(inputs)
    x = layers.Conv2D(64, 3)(x)
    model = keras.Model(inputs, x)
    """)
CLEAN = (
    "import keras\nmodel = keras.Sequential([keras.layers.Dense(1)])\nmodel.compile(loss='mse')\n"
)


def lint(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_text_output_exit_1_and_hint(project, capsys):
    (project / "train.py").write_text(MISMATCH)
    code, out, err = lint(capsys, "train.py")
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert lines[0] == (
        "train.py:7:5: KG001 sigmoid output with sparse_categorical_crossentropy, "
        "which expects a softmax output"
    )
    assert lines[1].startswith("  help: ")
    assert lines[2] == "Found 1 finding (1 error)."


def test_clean_file_exit_0(project, capsys):
    (project / "train.py").write_text(CLEAN)
    assert lint(capsys, "train.py") == (0, "All checks passed!\n", "")


def test_info_findings_alone_exit_0(project, capsys):
    (project / "conv.py").write_text(CONV)
    code, out, _ = lint(capsys, "conv.py")
    assert code == 0
    assert "conv.py:5:5: KG003 Conv2D over 32 channels could be a SeparableConv2D" in out
    assert "Found 1 finding (1 info)." in out
    assert "1 hidden fix can be enabled with the `--unsafe-fixes` option." in out


def test_json_fields(project, capsys):
    (project / "train.py").write_text(MISMATCH)
    code, out, _ = lint(capsys, "--format", "json", "train.py")
    assert code == 1
    [finding] = json.loads(out)
    assert finding == {
        "path": "train.py",
        "line": 7,
        "column": 5,
        "end_line": 7,
        "end_column": 43,
        "code": "KG001",
        "name": "activation-loss-mismatch",
        "severity": "error",
        "message": finding["message"],
        "hint": finding["hint"],
        "fix": None,
        "fix_applicability": None,
        "cell": None,
        "url": "https://github.com/kgen-dev/kgen/blob/main/docs/rules/KG001.md",
    }
    assert MISMATCH.splitlines()[6][4:42] == 'layers.Dense(10, activation="sigmoid")'


def test_json_fix_description(project, capsys):
    (project / "rnn.py").write_text(STACK)
    _, out, _ = lint(capsys, "--output-format", "json", "rnn.py")
    [finding] = json.loads(out)
    assert finding["code"] == "KG002"
    assert (finding["fix"], finding["fix_applicability"]) == (
        "add return_sequences=True",
        "safe",
    )


def test_sarif(project, capsys):
    (project / "train.py").write_text(MISMATCH)
    (project / "conv.py").write_text(CONV)
    code, out, _ = lint(capsys, "--format", "sarif", ".")
    assert code == 1
    log = json.loads(out)
    assert log["version"] == "2.1.0" and "sarif-2.1.0" in log["$schema"]
    [run] = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [rule.CODE for rule in all_rules()]
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels == {"KG001": "error", "KG003": "note"}
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] in ("train.py", "conv.py")
        assert set(location["region"]) == {
            "startLine",
            "startColumn",
            "endLine",
            "endColumn",
        }


def test_github_annotations(project, capsys):
    (project / "train.py").write_text(MISMATCH)
    (project / "conv.py").write_text(CONV)
    _, out, _ = lint(capsys, "--format", "github", ".")
    lines = out.splitlines()
    assert lines[0].startswith(
        "::notice file=conv.py,line=5,col=5,endLine=5,endColumn=25,title=KG003 prefer-separable-conv::"
    )
    assert lines[1].startswith("::error file=train.py,line=7,col=5,")


def test_select_and_ignore_by_prefix(project, capsys):
    (project / "train.py").write_text(MISMATCH + STACK)
    _, out, _ = lint(capsys, "--format", "json", "train.py")
    assert {f["code"] for f in json.loads(out)} == {"KG001", "KG002"}
    _, out, _ = lint(capsys, "--format", "json", "--select", "KG002", "train.py")
    assert {f["code"] for f in json.loads(out)} == {"KG002"}
    _, out, _ = lint(capsys, "--format", "json", "--ignore", "KG00", "train.py")
    assert json.loads(out) == []
    code, out, _ = lint(capsys, "--select", "KG001,KG002", "--ignore", "KG001", "train.py")
    assert code == 1 and "KG002" in out and "KG001" not in out


@pytest.mark.parametrize(
    "args",
    [
        ["--select", "KG9"],
        ["--ignore", "E501"],
        ["--format", "xml"],
        ["--bogus"],
        ["missing.py"],
    ],
)
def test_usage_errors_are_one_line_exit_2(project, capsys, args):
    (project / "train.py").write_text(CLEAN)
    code, out, err = lint(capsys, *args, "train.py")
    assert code == 2 and out == ""
    assert err.startswith("kgen: error: ") and err.count("\n") == 1


def test_config_found_walking_up(project, capsys):
    (project / "pyproject.toml").write_text('[tool.kgen.lint]\nignore = ["KG001"]\n')
    nested = project / "src" / "models"
    nested.mkdir(parents=True)
    (nested / "train.py").write_text(MISMATCH + STACK)
    _, out, _ = lint(capsys, "--format", "json", "src/models/train.py")
    assert {f["code"] for f in json.loads(out)} == {"KG002"}
    # The command line's --select replaces the file's; --ignore adds to it.
    _, out, _ = lint(capsys, "--format", "json", "--ignore", "KG002", "src")
    assert json.loads(out) == []


def test_config_select_per_file_ignores_exclude(project, capsys):
    (project / "pyproject.toml").write_text(textwrap.dedent("""\
            [tool.kgen.lint]
            select = ["KG001"]
            exclude = ["generated"]
            [tool.kgen.lint.per-file-ignores]
            "legacy/*.py" = ["KG001"]
            """))
    for folder in ("legacy", "generated", "app"):
        (project / folder).mkdir()
        (project / folder / "train.py").write_text(MISMATCH + STACK)
    _, out, _ = lint(capsys, "--format", "json", ".")
    assert [(f["path"], f["code"]) for f in json.loads(out)] == [("app/train.py", "KG001")]


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[tool.kgen.lint]\nselct = ["KG001"]\n', "unknown key 'selct'"),
        ('[tool.kgen.lint]\nselect = "KG001"\n', "must be a list of strings"),
        ('[tool.kgen.lint]\nignore = ["XX1"]\n', "unknown rule selector 'XX1'"),
        ("[tool.kgen.lint\n", "cannot read"),
    ],
)
def test_bad_config_is_a_one_line_error(project, capsys, toml, message):
    (project / "pyproject.toml").write_text(toml)
    (project / "train.py").write_text(CLEAN)
    code, _, err = lint(capsys, "train.py")
    assert code == 2 and message in err and err.count("\n") == 1


def test_explicit_config_option(project, capsys):
    (project / "custom.toml").write_text('[tool.kgen.lint]\nselect = ["KG002"]\n')
    (project / "train.py").write_text(MISMATCH + STACK)
    _, out, _ = lint(capsys, "--format", "json", "--config", "custom.toml", "train.py")
    assert {f["code"] for f in json.loads(out)} == {"KG002"}


@pytest.mark.parametrize(
    ("comment", "silenced"),
    [
        ("# noqa: KG001", True),
        ("# noqa:KG001,KG002", True),
        ("# noqa", True),
        ("# kgen: ignore[KG001]", True),
        ("# kgen: ignore", True),
        ("# noqa: KG002", False),
        ("# noqa: E501", False),
        ("# kgen: ignore[KG003]", False),
    ],
)
def test_suppression_comments(project, capsys, comment, silenced):
    source = MISMATCH.replace('activation="sigmoid"),', f'activation="sigmoid"),  {comment}')
    (project / "train.py").write_text(source)
    code, out, _ = lint(capsys, "train.py")
    assert (code == 0) is silenced, out


def test_fix_writes_safe_fixes_only(project, capsys):
    (project / "rnn.py").write_text(STACK)
    (project / "conv.py").write_text(CONV)
    code, out, _ = lint(capsys, "--fix", ".")
    assert "Fixed 1 finding." in out and code == 0  # KG003 (info) remains, unfixed
    assert "layers.LSTM(32, return_sequences=True)" in (project / "rnn.py").read_text()
    assert (project / "conv.py").read_text() == CONV
    code, out, _ = lint(capsys, "--fix", "--unsafe-fixes", "conv.py")
    assert "Fixed 1 finding." in out and "All checks passed!" in out
    assert "x = layers.SeparableConv2D(64, 3)(x)" in (project / "conv.py").read_text()


def test_fix_keeps_crlf_line_endings(project, capsys):
    (project / "rnn.py").write_bytes(STACK.replace("\n", "\r\n").encode())
    assert lint(capsys, "--fix", "rnn.py")[0] == 0
    fixed = (project / "rnn.py").read_bytes()
    assert b"return_sequences=True" in fixed and fixed.count(b"\r\n") == STACK.count("\n")


def test_diff_writes_nothing(project, capsys):
    (project / "rnn.py").write_text(STACK)
    code, out, err = lint(capsys, "--diff", "rnn.py")
    assert code == 1
    assert "-model = Sequential([layers.Input((None, 4)), layers.LSTM(32), layers.LSTM(16)])" in out
    assert (
        "+model = Sequential([layers.Input((None, 4)), layers.LSTM(32, return_sequences=True)"
        in out
    )
    assert err == "Would fix 1 finding.\n"
    assert (project / "rnn.py").read_text() == STACK
    (project / "clean.py").write_text(CLEAN)
    assert lint(capsys, "--diff", "clean.py")[0] == 0


def test_discovery_skips_hidden_venvs_and_caches(project, capsys):
    for folder in (".hidden", "env", "__pycache__", "pkg/sub", "node_modules"):
        (project / folder).mkdir(parents=True)
        (project / folder / "train.py").write_text(MISMATCH)
    (project / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    (project / "pkg" / "notes.txt").write_text(MISMATCH)
    _, out, _ = lint(capsys, "--format", "json", ".")
    assert [f["path"] for f in json.loads(out)] == ["pkg/sub/train.py"]
    # A file named explicitly is linted wherever it is.
    _, out, _ = lint(capsys, "--format", "json", ".hidden/train.py")
    assert len(json.loads(out)) == 1


def test_syntax_error_reported_and_run_goes_on(project, capsys):
    (project / "a_broken.py").write_text("import keras\nmodel.compile(loss='mse'\n")
    (project / "b_train.py").write_text(MISMATCH)
    code, out, _ = lint(capsys, "--format", "json", ".")
    findings = json.loads(out)
    assert code == 1
    assert [(f["path"], f["code"]) for f in findings] == [
        ("a_broken.py", "KG000"),
        ("b_train.py", "KG001"),
    ]
    assert findings[0]["line"] == 2 and findings[0]["message"].startswith("syntax error")


def test_non_utf8_file_is_a_syntax_error_and_others_are_linted(project, capsys):
    # Python itself refuses a non-UTF-8 file without a coding cookie (PEP 263).
    (project / "a_latin1.py").write_bytes("x = 'caf\xe9'\n".encode("latin-1"))
    (project / "b_train.py").write_text(MISMATCH)
    code, out, err = lint(capsys, ".")
    assert code == 1 and err == ""
    assert "a_latin1.py:1:9: KG000 syntax error: not UTF-8 (byte 0xe9)" in out
    assert "b_train.py:7:5: KG001" in out


def _notebook(*cells: tuple[str, str]) -> str:
    return json.dumps(
        {
            "cells": [
                {
                    "cell_type": kind,
                    "metadata": {},
                    "source": source.splitlines(keepends=True),
                    **({"outputs": [], "execution_count": None} if kind == "code" else {}),
                }
                for kind, source in cells
            ],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        },
        indent=1,
    )


def test_notebook_cells_are_linted_together(project, capsys):
    notebook = _notebook(
        ("markdown", "# Training\n"),
        ("code", "%matplotlib inline\n!pip install keras\nkeras.Model?\nimport keras\nfrom keras import layers"),
        ("code", "model = keras.Sequential([\n    layers.LSTM(8),\n    layers.LSTM(8),\n    layers.Dense(3, activation='sigmoid'),\n])"),
        ("code", "model.compile(optimizer='adam', loss='categorical_crossentropy')  # right?"),
    )  # fmt: skip
    (project / "train.ipynb").write_text(notebook)
    code, out, _ = lint(capsys, ".")
    assert code == 1
    assert "train.ipynb:cell 2:2:5: KG002" in out
    assert "train.ipynb:cell 2:4:5: KG001 sigmoid output with categorical_crossentropy" in out
    _, out, _ = lint(capsys, "--format", "json", "train.ipynb")
    assert {(f["cell"], f["line"]) for f in json.loads(out)} == {(2, 2), (2, 4)}


def test_notebook_fix_keeps_magics_and_markdown(project, capsys):
    notebook = _notebook(
        ("markdown", "Stacked GRUs.\n"),
        ("code", "!nvidia-smi\nfrom keras import layers, Sequential\n"),
        ("code", "model = Sequential([layers.GRU(8), layers.GRU(8)])\n"),
    )
    path = project / "rnn.ipynb"
    path.write_text(notebook)
    assert lint(capsys, "--fix", "rnn.ipynb")[0] == 0
    cells = json.loads(path.read_text())["cells"]
    assert cells[0]["source"] == ["Stacked GRUs.\n"]
    assert cells[1]["source"] == [
        "!nvidia-smi\n",
        "from keras import layers, Sequential\n",
    ]
    assert cells[2]["source"] == [
        "model = Sequential([layers.GRU(8, return_sequences=True), layers.GRU(8)])\n"
    ]


def test_invalid_notebook_is_a_one_line_error(project, capsys):
    (project / "bad.ipynb").write_text("{not json")
    code, _, err = lint(capsys, "bad.ipynb")
    assert (
        code == 2
        and err == "kgen: error: bad.ipynb: not a Jupyter notebook (invalid JSON or no cells)\n"
    )


def test_typer_app_forwards_lint_and_lists_rules(project):
    (project / "train.py").write_text(MISMATCH)
    runner = CliRunner()
    result = runner.invoke(app, ["lint", "--format", "json", "train.py"])
    assert result.exit_code == 1 and json.loads(result.output)[0]["code"] == "KG001"
    result = runner.invoke(app, ["rules"])
    assert result.exit_code == 0
    listed = [line.split()[:3] for line in result.output.splitlines()]
    assert listed == [[r.CODE, r.NAME, r.SEVERITY] for r in all_rules()]
    assert listed[:4] == [
        ["KG000", "syntax-error", "error"],
        ["KG001", "activation-loss-mismatch", "error"],
        ["KG002", "rnn-missing-return-sequences", "error"],
        ["KG003", "prefer-separable-conv", "info"],
    ]


def test_explain_prints_the_rule_page():
    result = CliRunner().invoke(app, ["explain", "KG001"])
    assert result.exit_code == 0
    page = result.output
    assert page.startswith("# activation-loss-mismatch (KG001)\n")
    headings = [line for line in page.splitlines() if line.startswith("## ")]
    assert headings == [
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "## Use instead",
        "## Fix safety",
    ]
    assert CliRunner().invoke(app, ["explain", "rnn-missing-return-sequences"]).exit_code == 0
    result = CliRunner().invoke(app, ["explain", "KG999"])
    assert result.exit_code == 2 and "unknown rule 'KG999'" in result.output


def test_executable_never_prints_a_traceback(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("def f(:\n")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "kgen",
            "lint",
            str(broken),
            str(tmp_path / "missing.py"),
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr == f"kgen: error: {tmp_path / 'missing.py'}: no such file or directory\n"
    run = subprocess.run(
        [sys.executable, "-m", "kgen", "lint", str(broken)],
        check=False,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1 and "KG000 syntax error" in run.stdout


def test_lint_path_imports_nothing_heavy(tmp_path):
    """`kgen lint` runs in pre-commit on every commit: typer (and its pydantic), jinja2, black
    and the generator must stay out of its imports; so must TensorFlow and Keras."""
    script = tmp_path / "train.py"
    script.write_text(MISMATCH)
    probe = (
        "import os, sys\n"
        "os._exit = sys.exit  # kgen lint leaves without teardown: come back here instead\n"
        f"sys.argv = ['kgen', 'lint', {str(script)!r}]\n"
        "from kgen.launch import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = ('typer', 'pydantic', 'jinja2', 'black', 'kgen.generate', 'tensorflow', 'keras')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy))\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], check=False, capture_output=True, text=True)
    assert "KG001" in run.stdout
    assert run.stdout.splitlines()[-1] == "[]"


def test_lint_process_leaves_with_all_its_output(tmp_path, capsys):
    """`kgen lint` exits without tearing the interpreter down (`kgen.lint.cli.run`): what it
    buffered for a pipe still arrives whole, and the exit code is main()'s."""
    for number in range(60):
        (tmp_path / f"train_{number}.py").write_text(MISMATCH)
    command = ["--no-cache", "--format", "json", str(tmp_path)]
    assert main(command) == 1
    expected = json.loads(capsys.readouterr().out)
    run = subprocess.run([sys.executable, "-m", "kgen", "lint", *command],
                         check=False, capture_output=True, text=True)  # fmt: skip
    assert len(run.stdout) > 16_384 and len(expected) == 60  # more than one write's worth
    assert (run.returncode, json.loads(run.stdout), run.stderr) == (1, expected, "")
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "train.py").write_text("x = 1\n")
    run = subprocess.run([sys.executable, "-m", "kgen", "lint", "--no-cache", str(clean)],
                         check=False, capture_output=True, text=True)  # fmt: skip
    assert (run.returncode, run.stdout, run.stderr) == (0, "All checks passed!\n", "")


def test_lint_process_reader_leaving_early_is_no_error(tmp_path):
    """`kgen lint | head -1`: the reader leaves after a line; no traceback, exit 0."""
    for number in range(300):
        (tmp_path / f"train_{number}.py").write_text(MISMATCH)
    with subprocess.Popen([sys.executable, "-m", "kgen", "lint", "--no-cache", str(tmp_path)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:  # fmt: skip
        first = process.stdout.readline()
        process.stdout.close()  # far more than a pipe holds is still to be written
        errors = process.stderr.read()
        code = process.wait(timeout=120)
    assert b"KG001" in first
    assert (code, errors) == (0, b"")
