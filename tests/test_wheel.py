"""Packaging: the built wheel works outside the repo (templates and rules ship inside it);
the sdist carries what its tests need and builds without warnings; and the lower bound of each
runtime dependency in pyproject.toml really works: a fresh venv with exactly those versions
runs the CLI smoke tests (a loose bound once let typer 0.12.0 crash `kgen --help`)."""

import re
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).parent.parent


def run(*args, cwd=None):
    result = subprocess.run(args, cwd=cwd, check=False, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{' '.join(map(str, args))}:\n{result.stdout}\n{result.stderr}"
    return result


def test_wheel_installs_and_generates_outside_the_repo(tmp_path):
    run(sys.executable, "-m", "build", "--wheel", "--outdir", tmp_path / "dist", ROOT)
    wheel = next((tmp_path / "dist").glob("kgen-*.whl"))
    run(sys.executable, "-m", "venv", tmp_path / "venv")
    bin_dir = tmp_path / "venv" / "bin"
    run(bin_dir / "pip", "install", "-q", wheel)
    work = tmp_path / "elsewhere"
    work.mkdir()
    run(bin_dir / "kgen", "new", "--task", "multilabel", "--data", "image", cwd=work)
    expected = (ROOT / "examples" / "multilabel_image.py").read_text()
    assert (work / "train.py").read_text() == expected
    listed = run(
        bin_dir / "python", "-c", "import kgen.rules, kgen.templates; print('ok')", cwd=work
    )
    assert listed.stdout.strip() == "ok"


def test_sdist_carries_its_tests_and_examples_and_builds_without_warnings(tmp_path):
    built = run(sys.executable, "-m", "build", "--sdist", "--outdir", tmp_path, ROOT)
    log = built.stdout + built.stderr
    assert "absent from the `packages` configuration" not in log
    assert not re.search(r"WARNING|Deprecat", log), log
    sdist = next(tmp_path.glob("kgen-*.tar.gz"))
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    # Every file of the checkout's tests/ and examples/ (this works from an sdist too).
    wanted = {
        path.relative_to(ROOT).as_posix()
        for folder in ("tests", "examples")
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    assert len(wanted) > 100
    assert sorted(wanted - names) == []
    for needed in ("tests/conftest.py", "tests/lint/conftest.py", "LICENSE", "MANIFEST.in"):
        assert needed in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def declared_minimums() -> list[str]:
    """`libcst>=1.1` -> `libcst==1.1`, for every runtime dependency."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = []
    for requirement in project["dependencies"]:
        name, bound = re.fullmatch(r"([\w.-]+)>=([\w.]+)", requirement).groups()
        pins.append(f"{name}=={bound}")
    return pins


def test_declared_minimum_of_each_dependency_runs_the_cli(tmp_path):
    pins = declared_minimums()
    assert len(pins) == 5
    run(sys.executable, "-m", "venv", tmp_path / "venv")
    bin_dir = tmp_path / "venv" / "bin"
    run(bin_dir / "pip", "install", "-q", "--disable-pip-version-check", ROOT, *pins)
    versions = run(bin_dir / "pip", "list", "--format", "freeze").stdout.lower().split()
    for pin in pins:
        name, version = pin.lower().split("==")
        assert any(re.fullmatch(rf"{name}=={re.escape(version)}(\.0)*", v) for v in versions), pin
    kgen = bin_dir / "kgen"
    for command in ([], ["new"], ["summary"], ["lint"], ["server"]):
        assert "Usage" in run(kgen, *command, "--help").stdout.replace("usage", "Usage")
    run(bin_dir / "python", "-c", "import kgen.lint.server")  # the LSP library's API it uses
    run(kgen, "new", "--task", "binary", "--data", "vector", "-o", "y.py", cwd=tmp_path)
    assert (tmp_path / "y.py").read_text() == (ROOT / "examples" / "binary_vector.py").read_text()
    table = run(kgen, "summary", "y.py", cwd=tmp_path).stdout
    assert 'Model: "binary_vector_mlp"' in table
    linted = run(kgen, "lint", "--no-cache", "y.py", cwd=tmp_path)
    assert linted.stdout.strip() == "All checks passed!"
    bug = tmp_path / "bug.py"
    bug.write_text(
        "import keras\nmodel = keras.Sequential([keras.layers.Dense(3, activation='softmax')])\n"
        "model.compile(loss='binary_crossentropy')\n"
    )
    found = subprocess.run(
        [kgen, "lint", "--no-cache", bug], check=False, capture_output=True, text=True
    )
    assert found.returncode == 1 and "KG001" in found.stdout, found.stdout + found.stderr
