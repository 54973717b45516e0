"""Compare this checkout's `kgen lint` with another commit's, interleaved, in CPU time.

On a shared machine wall time swings by 3x between minutes; runs of the two versions and of
the floor (import libcst + parse) are interleaved and timed by the CPU their processes use,
so the ratio survives the noise. Both versions' bytecode is compiled first, as `pip install`
does: under PYTHONDONTWRITEBYTECODE (set in some shells and CI images) a checkout never writes
its .pyc files, and every run would time compiling kgen's ~70 ms of source against a floor
whose libcst came compiled. The other commit is read from a package folder:

    git archive fa862aa | tar -x -C /tmp/before
    mkdir -p /tmp/before_pkg && cp -r /tmp/before/kgen /tmp/before_pkg/kgen
    cp -r /tmp/before/rules /tmp/before_pkg/kgen/rules
    cp -r /tmp/before/templates /tmp/before_pkg/kgen/templates
    python benchmarks/bench_before_after.py /tmp/before_pkg [--runs 15] [--corpus DIR]

Prints the one-file CPU medians, their ratios to the floor and the quartiles of each round's
ratio, then (with --corpus) files per CPU-second over a directory linted with one worker and
a cold cache.
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
COMPILE = """
import compileall, kgen, kgen.lint, kgen.rules
for package in (kgen, kgen.lint, kgen.rules):
    for folder in package.__path__:
        assert compileall.compile_dir(folder, maxlevels=0, quiet=1)
"""


def environment(env_extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)  # "after" is the installed checkout; "before" sets it
    env.update(env_extra)
    return env


def compile_bytecode(env_extra: dict[str, str]) -> None:
    """Write the .pyc files of the kgen that this environment imports (py_compile writes them
    whatever PYTHONDONTWRITEBYTECODE says; imports still read them)."""
    subprocess.run(
        [sys.executable, "-c", COMPILE],
        env=environment(env_extra),
        cwd=tempfile.gettempdir(),
        check=True,
    )


def cpu_seconds(command: list[str], env_extra: dict[str, str]) -> float:
    """CPU (user + system) of one run, its lint cache empty, from a neutral directory."""
    with tempfile.TemporaryDirectory() as cache_dir:
        env = {**environment(env_extra), "KGEN_CACHE_DIR": cache_dir}
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


def compare(cases: dict[str, tuple[list[str], dict]], runs: int) -> dict[str, list[float]]:
    """Each case's CPU seconds, one per round; a round runs every case once."""
    for command, env in cases.values():  # warm the OS caches
        cpu_seconds(command, env)
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, (command, env) in cases.items():
            times[name].append(cpu_seconds(command, env))
    return times


def spread(ratios: list[float]) -> str:
    """The quartiles of per-round ratios: runs of one round share the machine's mood."""
    low, _, high = statistics.quantiles(ratios, n=4)
    return f"{low:.2f}-{high:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", help="a folder holding the other commit's `kgen` package")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--corpus", type=Path, help="a directory of scripts for throughput")
    args = parser.parse_args()
    kgen = [sys.executable, "-m", "kgen", "lint"]
    old = {"PYTHONPATH": str(Path(args.before).resolve())}
    compile_bytecode(old)
    compile_bytecode({})
    times = compare(
        {
            "before": ([*kgen, str(SAMPLE)], old),
            "after": ([*kgen, str(SAMPLE)], {}),
            "floor": ([sys.executable, "-c", FLOOR, str(SAMPLE)], {}),
        },
        args.runs,
    )
    one = {name: statistics.median(values) for name, values in times.items()}
    print(f"one file ({SAMPLE.name}), CPU medians of {args.runs} interleaved runs:")
    for name, seconds in one.items():
        paired = [t / f for t, f in zip(times[name], times["floor"])]
        print(
            f"  {name:7s} {seconds * 1000:8.1f} ms   {seconds / one['floor']:.2f}x the floor"
            f"   (per round: quartiles {spread(paired)})"
        )
    if args.corpus:
        files = sum(1 for p in args.corpus.rglob("*") if p.suffix in (".py", ".ipynb"))
        many_times = compare(
            {
                "before": ([*kgen, "--jobs", "1", str(args.corpus)], old),
                "after": ([*kgen, "--jobs", "1", str(args.corpus)], {}),
            },
            max(3, args.runs // 3),
        )
        many = {name: statistics.median(values) for name, values in many_times.items()}
        print(f"corpus ({files} files), one worker, cold cache:")
        for name, seconds in many.items():
            print(f"  {name:7s} {seconds:7.2f} s CPU   {files / seconds:6.0f} files per CPU-second")
        print(f"  throughput change: {many['before'] / many['after'] - 1:+.1%}")


if __name__ == "__main__":
    main()
