"""Compare this checkout's `kgen lint` with another commit's, interleaved, in CPU time.

On a shared machine wall time swings by 3x between minutes; runs of the two versions and of
the floor (import libcst + parse) are interleaved and timed by the CPU their processes use,
so the ratio survives the noise. The other commit is read from a package folder:

    git archive fa862aa | tar -x -C /tmp/before
    mkdir -p /tmp/before_pkg && cp -r /tmp/before/kgen /tmp/before_pkg/kgen
    cp -r /tmp/before/rules /tmp/before_pkg/kgen/rules
    cp -r /tmp/before/templates /tmp/before_pkg/kgen/templates
    python benchmarks/bench_before_after.py /tmp/before_pkg [--runs 15] [--corpus DIR]

Prints the one-file CPU medians and ratios to the floor, then (with --corpus) files per
CPU-second over a directory linted with one worker and a cold cache.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLE = HERE / "sample_train.py"
FLOOR = "import sys, libcst; libcst.parse_module(open(sys.argv[1], encoding='utf-8').read())"


def cpu_seconds(command: list[str], env_extra: dict[str, str]) -> float:
    """CPU (user + system) of one run, its lint cache empty, from a neutral directory."""
    with tempfile.TemporaryDirectory() as cache_dir:
        env = {**os.environ, "KGEN_CACHE_DIR": cache_dir}
        env.pop("PYTHONPATH", None)  # "after" is the installed checkout; "before" sets it
        env.update(env_extra)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=tempfile.gettempdir(),
            check=False,
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def compare(cases: dict[str, tuple[list[str], dict]], runs: int) -> dict[str, float]:
    for command, env in cases.values():  # warm the OS caches and .pyc files
        cpu_seconds(command, env)
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, (command, env) in cases.items():
            times[name].append(cpu_seconds(command, env))
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", help="a folder holding the other commit's `kgen` package")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--corpus", type=Path, help="a directory of scripts for throughput")
    args = parser.parse_args()
    kgen = [sys.executable, "-m", "kgen", "lint"]
    old = {"PYTHONPATH": str(Path(args.before).resolve())}
    one = compare(
        {
            "before": ([*kgen, str(SAMPLE)], old),
            "after": ([*kgen, str(SAMPLE)], {}),
            "floor": ([sys.executable, "-c", FLOOR, str(SAMPLE)], {}),
        },
        args.runs,
    )
    print(f"one file ({SAMPLE.name}), CPU medians of {args.runs} interleaved runs:")
    for name, seconds in one.items():
        print(f"  {name:7s} {seconds * 1000:8.1f} ms   {seconds / one['floor']:.2f}x the floor")
    if args.corpus:
        files = sum(1 for p in args.corpus.rglob("*") if p.suffix in (".py", ".ipynb"))
        many = compare(
            {
                "before": ([*kgen, "--jobs", "1", str(args.corpus)], old),
                "after": ([*kgen, "--jobs", "1", str(args.corpus)], {}),
            },
            max(3, args.runs // 3),
        )
        print(f"corpus ({files} files), one worker, cold cache:")
        for name, seconds in many.items():
            print(f"  {name:7s} {seconds:7.2f} s CPU   {files / seconds:6.0f} files per CPU-second")
        print(f"  throughput change: {many['before'] / many['after'] - 1:+.1%}")


if __name__ == "__main__":
    main()
