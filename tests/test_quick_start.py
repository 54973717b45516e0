"""The README's quick start, as written there: the script it generates must learn its synthetic
data, not only run. (Synthetic images once carried their signal as brightness, which the
model's per-image normalisation erases: every prediction was the same.)"""

import json
import re
import shlex
from pathlib import Path

from typer.testing import CliRunner

from kgen.cli import app

README = Path(__file__).parent.parent / "README.md"


def quick_start_commands():
    """The `kgen new` arguments and the script's arguments of the quick start's first command."""
    line = next(line for line in README.read_text().splitlines() if "python train.py" in line)
    new = re.search(r"kgen new ([^&]+?)(?: &&|$)", line)[1]
    run = re.search(r"python train\.py ([^&]+?)(?: &&|$)", line)[1]
    return shlex.split(new), shlex.split(run)


def test_quick_start_script_learns_its_synthetic_data(tmp_path, monkeypatch, run_script):
    new_args, script_args = quick_start_commands()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["new", *new_args])
    assert result.exit_code == 0, result.output
    run = run_script(tmp_path / "train.py", *script_args)
    metrics = json.loads((tmp_path / "output" / "metrics.json").read_text())
    # Before the fix: AUC 0.52 and one prediction for every image.
    assert metrics["auc"] >= 0.9, metrics
    predicted = re.findall(r"^predicted (.*), true", run.stdout, flags=re.MULTILINE)
    assert len(predicted) == 5 and len(set(predicted)) > 1, run.stdout
