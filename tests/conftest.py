import os
import subprocess
import sys

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
