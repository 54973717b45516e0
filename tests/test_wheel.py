"""The built wheel works outside the repo: templates and rules ship inside it."""

import subprocess
import sys
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
