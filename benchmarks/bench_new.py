"""How long `kgen new` takes as a whole process, against a bare Python start-up.

    python benchmarks/bench_new.py [--runs 15]

Prints the median and best wall time of each; `kgen new` must stay well under a second
(it never imports TensorFlow or Keras).
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def wall_times(command, runs, cwd):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "kgen new (multilabel image)": [
                *(sys.executable, "-m", "kgen", "new", "--task", "multilabel", "--data", "image"),
                *("-o", str(Path(tmp) / "train.py"), "--force"),
            ],
            "kgen new (regression timeseries)": [
                *(sys.executable, "-m", "kgen", "new", "--task", "regression", "--data"),
                *("timeseries", "-o", str(Path(tmp) / "train.py"), "--force"),
            ],
        }
        for name, command in cases.items():
            times = wall_times(command, args.runs, tmp)
            print(f"{name:<34} median {statistics.median(times):.3f} s   best {min(times):.3f} s")


if __name__ == "__main__":
    main()
