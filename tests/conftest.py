import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

# Silence TensorFlow's C++ logging and oneDNN notice in every script the tests run.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


@pytest.fixture
def run_script():
    """Run a generated script like a user would; fail with its stderr if it exits non-zero."""

    def run(script, *args, timeout=600):
        result = subprocess.run(
            [sys.executable, script.name, *map(str, args)],
            cwd=script.parent,
            check=False,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert result.returncode == 0, (
            f"{script.name} {' '.join(map(str, args))}:\n{result.stderr[-3000:]}"
        )
        return result

    return run


class Unprivileged:
    """A folder, and a context in which its file modes apply (see the `unprivileged` fixture)."""

    def __init__(self, folder):
        self.folder = folder

    @contextlib.contextmanager
    def user(self):
        if os.geteuid() != 0:
            yield
            return
        os.setegid(NOBODY)
        os.seteuid(NOBODY)
        try:
            yield
        finally:
            os.seteuid(0)
            os.setegid(0)


NOBODY = 65534


@pytest.fixture
def unprivileged(monkeypatch):
    """Tests run as root, whom mode 000 or 444 does not stop. Inside `with unprivileged.user():`
    the effective user is `nobody` (the real user stays root, which takes it back after), so
    the kernel applies the modes for real. The folder (the working directory) belongs to
    nobody, outside pytest's private tmp tree; modules are imported before dropping, since
    nobody cannot read root's interpreter. Not root: the modes apply anyway."""
    import importlib

    for name in ("tomllib", "tempfile", "difflib", "json", "libcst.metadata",
                 "kgen.lint.engine", "kgen.lint.fix", "kgen.lint.notebook",
                 "kgen.lint.formats", "kgen.lint.summary", "kgen.lint.rule"):  # fmt: skip
        importlib.import_module(name)
    from kgen.lint.rule import all_rules

    all_rules()
    folder = Path(tempfile.mkdtemp(prefix="kgen-unprivileged-"))
    if os.geteuid() == 0:
        os.chown(folder, NOBODY, NOBODY)
    monkeypatch.chdir(folder)
    yield Unprivileged(folder)
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
    shutil.rmtree(folder)
