"""`--fix` never corrupts a file: the write is atomic and keeps permissions, the encoding, a BOM
and the line endings; the fixed file parses and no longer has the finding; a second run changes
nothing; a file without a fixable finding is never rewritten."""

from __future__ import annotations

import ast
import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from kgen.lint import fix as fix_module
from kgen.lint.cli import main

ODD = Path(__file__).parent.parent / "fixtures" / "odd_inputs"
FIXABLE = ("crlf.py", "utf8_bom.py", "latin1_cookie.py")


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def findings(capsys, *paths) -> list[dict]:
    main(["--format", "json", *map(str, paths)])
    return json.loads(capsys.readouterr().out)


def fix(capsys, *args) -> int:
    code = main(["--fix", *map(str, args)])
    capsys.readouterr()
    return code


@pytest.mark.parametrize("fixture", FIXABLE)
def test_fix_keeps_encoding_bom_and_line_endings(project, capsys, fixture):
    path = project / fixture
    shutil.copy(ODD / fixture, path)
    before = path.read_bytes()
    assert [f["code"] for f in findings(capsys, path)] == ["KG002"]
    assert fix(capsys, path) == 0
    after = path.read_bytes()
    # Exactly the keyword was added, in the file's own bytes: nothing else moved.
    inserted = b", return_sequences=True"
    at = after.index(inserted)
    assert after[:at] + after[at + len(inserted) :] == before
    assert after.startswith(b"\xef\xbb\xbf") == before.startswith(b"\xef\xbb\xbf")
    assert after.count(b"\r\n") == before.count(b"\r\n")
    ast.parse(after)  # still Python, decoded as Python decodes it (cookie, BOM)
    assert findings(capsys, path) == []


def test_fix_keeps_permissions_and_leaves_no_temporary_file(project, capsys):
    path = project / "rnn.py"
    shutil.copy(ODD / "crlf.py", path)
    os.chmod(path, 0o750)
    assert fix(capsys, path) == 0
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o750
    assert sorted(p.name for p in project.iterdir()) == ["rnn.py"]


def test_fix_through_a_symlink_rewrites_the_target_and_keeps_the_link(project, capsys):
    shutil.copy(ODD / "crlf.py", project / "real.py")
    os.symlink("real.py", project / "link.py")
    assert fix(capsys, project / "link.py") == 0
    assert (project / "link.py").is_symlink()
    assert b"return_sequences=True" in (project / "real.py").read_bytes()


def test_a_failed_write_leaves_the_original_intact(project, capsys, monkeypatch):
    path = project / "rnn.py"
    shutil.copy(ODD / "crlf.py", path)
    before = path.read_bytes()

    def replace_fails(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fix_module.os, "replace", replace_fails)
    code = main(["--fix", str(path)])
    _, err = capsys.readouterr()
    assert code == 2 and err == f"kgen: error: {path}: not fixed: no space left on device\n"
    assert path.read_bytes() == before
    assert sorted(p.name for p in project.iterdir()) == ["rnn.py"]


@pytest.mark.parametrize("fixture", FIXABLE)
def test_fixing_twice_changes_nothing_the_second_time(project, capsys, fixture):
    path = project / fixture
    shutil.copy(ODD / fixture, path)
    fix(capsys, path)
    once = path.read_bytes()
    inode, mtime = os.stat(path).st_ino, os.stat(path).st_mtime_ns
    code = main(["--fix", str(path)])
    out, _ = capsys.readouterr()
    assert code == 0 and "Fixed" not in out
    assert path.read_bytes() == once
    assert (os.stat(path).st_ino, os.stat(path).st_mtime_ns) == (inode, mtime)


@pytest.mark.parametrize(
    "fixture",
    ["tabs.py", "empty.py", "latin1_no_cookie.py", "binary.py", "no_code_cells.ipynb"],
)
def test_a_file_without_fixable_findings_is_never_rewritten(project, capsys, fixture):
    path = project / fixture
    shutil.copy(ODD / fixture, path)
    past = 1_000_000_000_000_000_000  # 2001: any rewrite would move it
    os.utime(path, ns=(past, past))
    inode = os.stat(path).st_ino
    main(["--fix", "--unsafe-fixes", str(path)])
    capsys.readouterr()
    assert (os.stat(path).st_ino, os.stat(path).st_mtime_ns) == (inode, past)
    assert path.read_bytes() == (ODD / fixture).read_bytes()


def test_fix_in_parallel_matches_fix_in_one_process(project, capsys, monkeypatch):
    monkeypatch.setattr("kgen.lint.runner.MIN_FILES_PER_WORKER", 1)
    for jobs in ("1", "2"):
        folder = project / f"jobs{jobs}"
        folder.mkdir()
        for index, fixture in enumerate(FIXABLE * 3):
            shutil.copy(ODD / fixture, folder / f"{index:02d}_{fixture}")
        assert main(["--fix", "--jobs", jobs, str(folder)]) == 0
        capsys.readouterr()
    for one in sorted((project / "jobs1").iterdir()):
        assert one.read_bytes() == (project / "jobs2" / one.name).read_bytes()
