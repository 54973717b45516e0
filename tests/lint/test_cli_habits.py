"""The command-line habits ruff users have in their fingers: `kgen --version`, `kgen lint -`
(standard input), --exit-zero, --output-file, --statistics, --show-fixes, --quiet, colour on a
terminal, --force-exclude. Standard input, the version and the terminal run the real `kgen`
process; the rest run in-process."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import textwrap

import pytest

from kgen import __version__
from kgen.lint.cli import main

STACK = textwrap.dedent("""\
    from keras import layers, Sequential
    model = Sequential([layers.Input((None, 4)), layers.LSTM(32), layers.LSTM(16)])
    model.add(layers.Dense(3, activation="sigmoid"))
    model.compile(loss="categorical_crossentropy")
    """)
FIXED = STACK.replace("LSTM(32)", "LSTM(32, return_sequences=True)")
ENV = {**os.environ, "NO_COLOR": ""}


def kgen(*args: str, stdin: bytes = b"", cwd=None, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kgen", *args], input=stdin, cwd=cwd,
                          capture_output=True, env=env or ENV, timeout=120, check=False)  # fmt: skip


def lint(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    (tmp_path / "train.py").write_text(STACK)
    return tmp_path


def test_version_is_printed_without_importing_the_cli_stack():
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "kgen", "--version"],
                         capture_output=True, text=True, check=True)  # fmt: skip
    assert run.stdout == f"kgen {__version__}\n"
    imported = {line.split("|")[-1].strip() for line in run.stderr.splitlines()}
    assert "typer" not in imported and "libcst" not in imported


def test_stdin_is_linted_under_its_stdin_filename(project):
    (project / "pyproject.toml").write_text(
        '[tool.kgen.lint.per-file-ignores]\n"experiments/*.py" = ["KG001"]\n'
    )
    run = kgen("lint", "-", "--stdin-filename", "train.py", stdin=STACK.encode(), cwd=project)
    assert run.returncode == 1
    out = run.stdout.decode()
    assert "train.py:2:46: KG002 [*] LSTM feeds another recurrent layer" in out
    assert "train.py:3:11: KG001" in out
    # The per-file ignore matches the name given, though no such file exists.
    run = kgen("lint", "-", "--stdin-filename", "experiments/a.py", stdin=STACK.encode(),
               cwd=project)  # fmt: skip
    out = run.stdout.decode()
    assert "experiments/a.py:2:46: KG002" in out and "KG001" not in out
    # Without a name, the source is "-".
    run = kgen("lint", "-", stdin=STACK.encode(), cwd=project)
    assert "-:2:46: KG002" in run.stdout.decode()


def test_stdin_fix_writes_the_fixed_source_to_stdout(project):
    source = STACK.replace("\n", "\r\n").encode()  # line endings are kept, as for files
    run = kgen("lint", "-", "--stdin-filename", "train.py", "--fix", stdin=source, cwd=project)
    assert run.stdout == FIXED.replace("\n", "\r\n").encode()
    err = run.stderr.decode()
    assert "train.py:3:11: KG001" in err and "KG002" not in err and "Fixed 1 finding." in err
    assert run.returncode == 1  # KG001 is left
    assert (project / "train.py").read_text() == STACK  # the file on disk is not touched
    run = kgen("lint", "-", "--stdin-filename", "train.py", "--diff", stdin=STACK.encode(),
               cwd=project)  # fmt: skip
    assert run.stdout.decode().startswith("--- train.py\n+++ train.py\n@@")
    assert (
        "+model = Sequential([layers.Input((None, 4)), layers.LSTM(32, return_sequences=True)"
        in run.stdout.decode()
    )
    assert run.returncode == 1 and run.stderr.decode() == "Would fix 1 finding.\n"


def test_stdin_cannot_be_mixed_with_paths(project, capsys):
    code, _, err = lint(capsys, "-", "train.py")
    assert code == 2 and "cannot be combined" in err
    code, _, err = lint(capsys, "train.py", "--stdin-filename", "x.py")
    assert code == 2 and err.startswith("kgen: error: --stdin-filename") and "\n" == err[-1]


def test_exit_zero(project, capsys):
    code, out, _ = lint(capsys, "--exit-zero", "train.py")
    assert code == 0 and "Found 2 findings" in out
    code, _, _ = lint(capsys, "--exit-zero", "missing.py")
    assert code == 2  # an error is still an error


def test_output_file(project, capsys):
    code, out, err = lint(capsys, "--format", "json", "--output-file", "report.json", "train.py")
    assert code == 1 and out == "" and err == ""
    report = json.loads((project / "report.json").read_text())
    assert [f["code"] for f in report] == ["KG002", "KG001"]
    code, out, _ = lint(capsys, "-o", "report.txt", "train.py")
    assert out == ""
    assert (project / "report.txt").read_text().endswith("[*] 1 fixable with the `--fix` option.\n")
    code, _, err = lint(capsys, "-o", "no/such/dir/report.txt", "train.py")
    assert code == 2 and err.startswith("kgen: error: cannot write no/such/dir/report.txt")


def test_statistics(project, capsys):
    (project / "more.py").write_text(STACK)
    code, out, _ = lint(capsys, "--statistics", "train.py", "more.py")
    assert code == 1
    assert out.splitlines() == [
        "2\tKG001\t[ ] activation-loss-mismatch",
        "2\tKG002\t[*] rnn-missing-return-sequences",
    ]
    _, out, _ = lint(capsys, "--statistics", "--format", "json", "train.py", "more.py")
    assert json.loads(out)[1] == {
        "code": "KG002",
        "name": "rnn-missing-return-sequences",
        "count": 2,
        "fixable": True,
    }


def test_show_fixes(project, capsys):
    _, out, _ = lint(capsys, "--show-fixes", "train.py")
    assert "  fix: add return_sequences=True (safe)" in out
    code, out, _ = lint(capsys, "--fix", "--show-fixes", "train.py")
    assert code == 1
    assert out.endswith("Fixed 1 finding:\n- train.py:\n    1 × KG002\n")
    assert (project / "train.py").read_text() == FIXED


def test_quiet_prints_findings_only(project, capsys):
    _, out, _ = lint(capsys, "--quiet", "train.py")
    assert "Found" not in out and "fixable" not in out
    assert out.startswith("train.py:2:46: KG002")
    (project / "clean.py").write_text("x = 1\n")
    assert lint(capsys, "-q", "clean.py") == (0, "", "")


def on_a_terminal(*args: str, cwd, env: dict) -> str:
    """Run `kgen` with its output on a pseudo-terminal; what the terminal received."""
    leader, follower = pty.openpty()
    with subprocess.Popen([sys.executable, "-m", "kgen", *args], cwd=cwd, env=env,
                          stdout=follower, stderr=follower) as process:  # fmt: skip
        os.close(follower)
        received = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            received += chunk
        process.wait(timeout=120)
    os.close(leader)
    return received.decode()


def test_colour_on_a_terminal_unless_asked_not_to(project):
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    coloured = on_a_terminal("lint", "train.py", cwd=project, env=env)
    assert "\x1b[1m\x1b[31mKG002\x1b[0m" in coloured
    assert "\x1b[" not in on_a_terminal("lint", "--no-color", "train.py", cwd=project, env=env)
    plain = on_a_terminal("lint", "train.py", cwd=project, env={**env, "NO_COLOR": "1"})
    assert "\x1b[" not in plain and "train.py:2:46: KG002 [*]" in plain


def test_force_exclude_applies_exclude_to_named_files(project, capsys):
    (project / "pyproject.toml").write_text('[tool.kgen.lint]\nexclude = ["generated/*"]\n')
    (project / "generated").mkdir()
    (project / "generated" / "model.py").write_text(STACK)
    code, out, _ = lint(capsys, "generated/model.py")
    assert code == 1  # named explicitly: linted, as before
    code, out, _ = lint(capsys, "--force-exclude", "generated/model.py", "train.py")
    assert code == 1 and "generated/model.py" not in out and "train.py:2:46" in out
    # Everything named is excluded: nothing was checked, which is said, and it is no failure.
    assert lint(capsys, "--force-exclude", "generated/model.py") == (
        0,
        "No Python files to lint.\n",
        "",
    )
    # Standard input named as an excluded file: nothing to report, the source passed through.
    run = kgen("lint", "-", "--stdin-filename", "generated/model.py", "--force-exclude", "--fix",
               stdin=STACK.encode(), cwd=project)  # fmt: skip
    assert run.returncode == 0 and run.stdout == STACK.encode()
