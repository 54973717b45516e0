"""How fast `kgen lint` is, as a user (or a pre-commit hook) feels it.

1. One ~300-line training script (`sample_train.py`, a `kgen new` output): the whole
   `kgen lint FILE` process against the floor, a `python -c` that only imports libcst and
   parses the same file. Target: at most 1.3x the floor. Runs are interleaved; medians.
2. Throughput: `kgen lint DIR` over a few hundred realistic scripts (the test corpus,
   copied), in files per second, whole process included.
Every kgen run starts with an empty cache (a fresh KGEN_CACHE_DIR): this measures linting, not
the cache; `bench_scale.py` measures the cache and the worker processes.

Usage: python benchmarks/bench_lint.py [--runs 21] [--files 300]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLE = HERE / "sample_train.py"
CORPUS = HERE.parent / "tests" / "fixtures" / "keras_scripts"
FLOOR = "import sys, libcst; libcst.parse_module(open(sys.argv[1], encoding='utf-8').read())"


def kgen_command() -> list[str]:
    executable = Path(sys.executable).with_name("kgen")
    return [str(executable)] if executable.exists() else [sys.executable, "-m", "kgen"]


def wall(command: list[str]) -> float:
    """Seconds for the whole process, its lint cache empty: every run lints cold (as a
    pre-commit hook does on the files a commit changed), cache writes included."""
    with tempfile.TemporaryDirectory() as cache_dir:
        env = {**os.environ, "KGEN_CACHE_DIR": cache_dir}
        start = time.perf_counter()
        subprocess.run(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=env
        )
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--files", type=int, default=300)
    args = parser.parse_args()

    lint = [*kgen_command(), "lint", str(SAMPLE)]
    floor = [sys.executable, "-c", FLOOR, str(SAMPLE)]
    for command in (lint, floor):  # warm the OS caches and .pyc files
        wall(command)
    lint_times, floor_times = [], []
    for _ in range(args.runs):
        lint_times.append(wall(lint))
        floor_times.append(wall(floor))
    lint_median, floor_median = statistics.median(lint_times), statistics.median(floor_times)
    lines = len(SAMPLE.read_text(encoding="utf-8").splitlines())

    scripts = sorted(CORPUS.glob("*.py"))
    with tempfile.TemporaryDirectory() as tmp:
        total_lines = 0
        for index in range(args.files):
            source = scripts[index % len(scripts)]
            shutil.copy(source, Path(tmp) / f"{index:04d}_{source.name}")
            total_lines += len(source.read_text(encoding="utf-8").splitlines())
        directory = [*kgen_command(), "lint", tmp]
        wall(directory)
        dir_times = [wall(directory) for _ in range(5)]
    dir_median = statistics.median(dir_times)

    print(f"one file ({lines} lines), median of {args.runs} runs:")
    print(f"  kgen lint FILE                    {lint_median * 1000:7.1f} ms")
    print(f"  floor (import libcst + parse)     {floor_median * 1000:7.1f} ms")
    print(
        f"  ratio                             {lint_median / floor_median:7.2f}x  (target <= 1.30x)"
    )
    print(f"throughput: {args.files} files, {total_lines} lines, median of 5 runs:")
    print(f"  kgen lint DIR                     {dir_median * 1000:7.1f} ms")
    print(f"  files per second                  {args.files / dir_median:7.0f}")
    print(f"  lines per second                  {total_lines / dir_median:7.0f}")


if __name__ == "__main__":
    main()
