"""Generated scripts are clean code: ruff finds nothing, black would change nothing."""

import subprocess
import sys
from pathlib import Path

import black

from kgen import generate
from kgen.spec_file import load_spec

SPEC_EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.toml"))


def test_generated_scripts_pass_ruff_and_black(tmp_path):
    for spec in generate.supported() + [load_spec(path) for path in SPEC_EXAMPLES]:
        source = generate.render(spec)
        assert black.format_str(source, mode=black.Mode()) == source, spec.slug
        (tmp_path / f"{spec.slug}.py").write_text(source)
    # --isolated: judge the scripts by ruff's defaults, as in a user's project, not by ours.
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", str(tmp_path)],
        check=False,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout
