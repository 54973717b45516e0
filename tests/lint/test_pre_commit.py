"""The `kgen-lint` pre-commit hook, for real: pre-commit installs this repository (a snapshot
of the working tree, committed in a scratch clone) and the hook blocks a commit with a KG001
bug, then lets the fixed file through; a file the project's `exclude` names is let through
with its bug (the hook passes --force-exclude, since pre-commit names every file)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Fixed identity and dates: the same tree gives the same commit, so pre-commit's cached hook
# environment (kept in pytest's cache directory) is reused until the code changes.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "kgen tests",
    "GIT_AUTHOR_EMAIL": "tests@kgen.invalid",
    "GIT_COMMITTER_NAME": "kgen tests",
    "GIT_COMMITTER_EMAIL": "tests@kgen.invalid",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
}

BUGGY = textwrap.dedent("""\
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(3, activation="sigmoid")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    """)


def git(*args: str, cwd: Path) -> str:
    run = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ENV},
        check=True,
        capture_output=True,
        text=True,
    )
    return run.stdout.strip()


def snapshot_of_this_repo(target: Path) -> str:
    """Commit the working tree (tracked and untracked, not ignored) into a new repo."""
    files = git("ls-files", "--cached", "--others", "--exclude-standard", "-z", cwd=REPO).split(
        "\0"
    )
    for name in filter(None, files):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    git("init", "-q", "-b", "main", cwd=target)
    git("add", "-A", cwd=target)
    git("commit", "-q", "-m", "snapshot", cwd=target)
    return git("rev-parse", "HEAD", cwd=target)


def test_hook_blocks_a_commit_with_a_kg001_bug(tmp_path, request):
    hook_repo = tmp_path / "kgen"
    hook_repo.mkdir()
    rev = snapshot_of_this_repo(hook_repo)

    project = tmp_path / "project"
    project.mkdir()
    git("init", "-q", "-b", "main", cwd=project)
    git("config", "user.name", "kgen tests", cwd=project)
    git("config", "user.email", "tests@kgen.invalid", cwd=project)
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n      - id: kgen-lint\n"
    )
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(request.config.cache.mkdir("pre-commit")),
    }
    env.pop("VIRTUAL_ENV", None)
    subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=project, env=env, check=True,
                   capture_output=True)  # fmt: skip

    def commit() -> tuple[int, str]:
        run = subprocess.run(["git", "commit", "-m", "add training script"], cwd=project, env=env,
                             check=False, capture_output=True, text=True)  # fmt: skip
        return run.returncode, run.stdout + run.stderr

    (project / "train.py").write_text(BUGGY)
    git("add", "train.py", ".pre-commit-config.yaml", cwd=project)
    code, output = commit()
    assert code != 0, output
    assert "kgen lint" in output and "Failed" in output
    assert "train.py:4:52: KG001 sigmoid output with categorical_crossentropy" in output
    head = subprocess.run(["git", "rev-parse", "--verify", "HEAD"], cwd=project, check=False,
                          capture_output=True)  # fmt: skip
    assert head.returncode != 0  # nothing was committed

    (project / "train.py").write_text(BUGGY.replace('"sigmoid"', '"softmax"'))
    git("add", "train.py", cwd=project)
    code, output = commit()
    assert code == 0, output
    assert "kgen lint" in output and "Passed" in output

    # Same environment, second commit: an excluded file with the bug is not reported.
    (project / "pyproject.toml").write_text('[tool.kgen.lint]\nexclude = ["generated/*"]\n')
    (project / "generated").mkdir()
    (project / "generated" / "model.py").write_text(BUGGY)
    git("add", "pyproject.toml", "generated/model.py", cwd=project)
    code, output = commit()
    assert code == 0, output
    assert "kgen lint" in output and "Passed" in output and "KG001" not in output
