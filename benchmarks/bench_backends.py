"""Wall time of one generated script per modality on each Keras backend, as a Markdown table.

    python benchmarks/bench_backends.py --python tensorflow=.venv/bin/python \\
        --python jax=/path/to/jax-venv/bin/python --python torch=/path/to/torch-venv/bin/python

Each backend runs in its own venv (see tests/test_backends.py). Times are whole processes:
backend import, synthetic data, one epoch, evaluation, saving and reloading.
"""

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

from kgen import generate
from kgen.spec_file import load_spec

EXAMPLES = Path(__file__).parent.parent / "examples"
SCRIPTS = [
    ("binary", "vector", None),
    ("multiclass", "image", None),
    ("multilabel", "text", "gru"),
    ("regression", "audio", None),
    ("forecast", "timeseries", None),
    ("regression", "video", None),
    ("binary", "volume", None),
]
SPECS = ["two_image_inputs", "sequence_two_outputs", "bidirectional_tagging"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", required=True, metavar="BACKEND=PATH")
    args = parser.parse_args()
    pythons = dict(item.split("=", 1) for item in args.python)
    print("| script (`kgen new …`) | " + " | ".join(pythons) + " |")
    print("|---|" + "---|" * len(pythons))
    specs = [generate.ScriptSpec.build(*script) for script in SCRIPTS]
    os.chdir(EXAMPLES.parent)  # spec examples are named relative to the repository root
    specs += [load_spec(Path("examples") / f"{name}.toml") for name in SPECS]
    for spec in specs:
        cells = []
        for backend, python in pythons.items():
            with tempfile.TemporaryDirectory() as tmp:
                (Path(tmp) / "train.py").write_text(generate.render(spec))
                series = spec.single and spec.modality.name == "timeseries"
                samples = "300" if series else "60"
                start = time.perf_counter()
                result = subprocess.run(
                    [python, "train.py", "--synthetic", samples, "--epochs", "1"],
                    cwd=tmp,
                    env={**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"},
                    check=False,
                    capture_output=True,
                )
                elapsed = time.perf_counter() - start
            cells.append(f"{elapsed:.1f} s" if result.returncode == 0 else "FAILED")
        print(f"| `{spec.command.removeprefix('kgen new ')}` | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
