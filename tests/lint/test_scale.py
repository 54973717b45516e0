"""`kgen lint` at scale: worker processes give the same output in the same order as one
process; the cache returns stored findings for unchanged files, misses on any change to the
file or the rule selection, survives corrupt entries and unwritable directories; and the
standard library lints without one internal error."""

from __future__ import annotations

import json
import os
import sysconfig
from pathlib import Path

import pytest

from kgen.lint import cache, engine, runner
from kgen.lint.cli import main

FIXTURES = Path(__file__).parent.parent / "fixtures"
CORPUS = sorted((FIXTURES / "keras_scripts").glob("*.py")) + sorted(
    (FIXTURES / "odd_inputs").glob("*.py")
)
STACK = (FIXTURES / "odd_inputs" / "crlf.py").read_bytes()


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def mutants(folder: Path) -> None:
    """The corpus, and each script with its head or RNN stack broken: many findings."""
    folder.mkdir()
    for index, script in enumerate(CORPUS):
        data = script.read_bytes()
        (folder / f"{index:02d}_{script.name}").write_bytes(data)
        broken = data.replace(b'"softmax"', b'"sigmoid"').replace(
            b"return_sequences=True", b"return_sequences=False"
        )
        (folder / f"{index:02d}_broken_{script.name}").write_bytes(broken)


def test_jobs_give_the_same_output_in_the_same_order(project, capsys, monkeypatch):
    mutants(project / "corpus")
    monkeypatch.setattr(runner, "MIN_FILES_PER_WORKER", 1)
    outputs = {}
    for jobs in ("1", "2", "3"):
        for output_format in ("json", "text"):
            outputs[jobs, output_format] = run(
                capsys, "--no-cache", "--jobs", jobs, "--format", output_format, "corpus"
            )
    for output_format in ("json", "text"):
        assert outputs["1", output_format] == outputs["2", output_format]
        assert outputs["1", output_format] == outputs["3", output_format]
    code, out, _ = outputs["1", "json"]
    paths = [f["path"] for f in json.loads(out)]
    assert code == 1 and len(paths) > 20 and paths == sorted(paths)


def test_few_files_never_start_a_worker(project, capsys, monkeypatch):
    def no_pool(*args, **kwargs):
        raise AssertionError("a worker pool for one file")

    monkeypatch.setattr(runner, "_parallel", no_pool)
    (project / "rnn.py").write_bytes(STACK)
    assert run(capsys, "--jobs", "8", "rnn.py")[0] == 1


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_jobs_must_be_a_positive_integer(capsys, value):
    code, _, err = run(capsys, "--jobs", value, ".")
    assert code == 2 and err.count("\n") == 1 and "expected a positive integer" in err


def test_cache_returns_stored_findings_without_parsing(project, capsys, monkeypatch):
    mutants(project / "corpus")
    first = run(capsys, "--format", "json", "corpus")

    def analyze_fails(*args):
        raise AssertionError("parsed a file the cache knows")

    monkeypatch.setattr(engine, "analyze", analyze_fails)
    assert run(capsys, "--format", "json", "corpus") == first
    assert run(capsys, "--format", "text", "corpus")[0] == first[0]
    # --no-cache really bypasses it.
    code, _, err = run(capsys, "--no-cache", "--jobs", "1", "corpus/00_broken_" + CORPUS[0].name)
    assert code == 2 and "internal error: AssertionError" in err


def test_cache_misses_when_the_file_or_the_selection_changes(project, capsys):
    path = project / "rnn.py"
    path.write_bytes(STACK)
    assert '"KG002"' in run(capsys, "--format", "json", "rnn.py")[1]
    assert run(capsys, "--format", "json", "--select", "KG001", "rnn.py")[1].strip() == "[]"
    path.write_bytes(STACK.replace(b"LSTM(32)", b"LSTM(32, return_sequences=True)"))
    assert run(capsys, "--format", "json", "rnn.py")[1].strip() == "[]"
    (project / "pyproject.toml").write_text('[tool.kgen.lint]\nignore = ["KG002"]\n')
    path.write_bytes(STACK)
    assert run(capsys, "--format", "json", "rnn.py")[1].strip() == "[]"


@pytest.mark.parametrize(
    "garbage",
    [b"", b"\x00\xff garbage", b"{}", b"[1, 2]", b'[{"code": "KG002"}]', b'[{"x": 1}]'],
)
def test_corrupt_cache_entries_are_ignored(project, capsys, garbage):
    (project / "rnn.py").write_bytes(STACK)
    first = run(capsys, "--format", "json", "rnn.py")
    entries = list(Path(os.environ["KGEN_CACHE_DIR"]).glob("lint-*/*/*"))
    assert len(entries) == 1
    for entry in entries:
        entry.write_bytes(garbage)
    assert run(capsys, "--format", "json", "rnn.py") == first


def test_unwritable_cache_is_not_an_error(project, capsys, monkeypatch):
    blocker = project / "not_a_directory"
    blocker.write_text("")
    monkeypatch.setenv("KGEN_CACHE_DIR", str(blocker / "cache"))
    (project / "rnn.py").write_bytes(STACK)
    code, out, err = run(capsys, "rnn.py")
    assert code == 1 and err == "" and "KG002" in out


def test_cache_lives_at_the_project_root(project, capsys, monkeypatch):
    monkeypatch.delenv("KGEN_CACHE_DIR")
    (project / "pyproject.toml").write_text("[tool.kgen.lint]\n")
    (project / "src").mkdir()
    (project / "src" / "rnn.py").write_bytes(STACK)
    monkeypatch.chdir(project / "src")
    assert run(capsys, "rnn.py")[0] == 1
    assert (project / ".kgen_cache" / ".gitignore").read_text().endswith("*\n")
    assert not (project / "src" / ".kgen_cache").exists()
    assert not (project / ".kgen_cache" / "rnn.py").exists()


def test_parallel_workers_writing_the_same_entries(project, capsys, monkeypatch):
    monkeypatch.setattr(runner, "MIN_FILES_PER_WORKER", 1)
    (project / "same").mkdir()
    for index in range(40):  # one content, one cache entry, written by every worker
        (project / "same" / f"{index:02d}.py").write_bytes(STACK)
    cold = run(capsys, "--jobs", "2", "--format", "json", "same")
    warm = run(capsys, "--jobs", "2", "--format", "json", "same")
    assert cold == warm and len(json.loads(cold[1])) == 40 and cold[2] == ""
    directory = Path(os.environ["KGEN_CACHE_DIR"])
    assert not [p for p in directory.rglob(".tmp-*")]


def test_cache_key_covers_content_kind_and_rules():
    base = cache.key(b"x = 1\n", ".py", ("KG001",))
    assert base == cache.key(b"x = 1\n", ".py", ("KG001",))
    assert base != cache.key(b"x = 2\n", ".py", ("KG001",))
    assert base != cache.key(b"x = 1\n", ".ipynb", ("KG001",))
    assert base != cache.key(b"x = 1\n", ".py", ("KG001", "KG002"))


def _stdlib_sample(step: int) -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in root.rglob("*.py") if "site-packages" not in p.parts and p.is_file())
    return files[::step]


def test_standard_library_sample_has_no_internal_error(capsys):
    """Every 5th file of the standard library (over 300 of its ~1,800, tests and bad-syntax data
    included), in worker processes: no error, nothing but findings. The whole library and
    site-packages run in benchmarks/bench_scale.py."""
    sample = _stdlib_sample(5)
    assert len(sample) > 300
    code, out, err = run(capsys, "--no-cache", "--jobs", "2", "--format", "json", *sample)
    assert err == "" and code in (0, 1)
    assert all(f["code"].startswith("KG") for f in json.loads(out))
