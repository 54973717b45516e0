"""`kgen lint` at scale, on code nobody wrote for it: the Python standard library.

1. Throughput on the standard-library corpus (every .py file kgen's discovery finds under the
   stdlib directory, third-party site-packages excluded), whole process timed: cold with one
   worker and with all workers (`--no-cache`), then a cache-filling run and a warm-cache re-run.
   The peer is `pylint --disable=all` on the same files (astroid parsing every file and
   nothing else: the lower bound of a pylint-based linter such as dslinter), with one process
   and with as many as kgen's workers; `--enable=syntax-error` keeps it parsing (pylint 4
   lints nothing at all when every message is disabled). Targets: kgen cold >= 3x faster than that pylint run;
   warm cache >= 20x faster than cold.
2. The never-crash sweep (`--sweep`): every .py file of the standard library and of this
   environment's site-packages, linted in batches; counts files, findings by code, errors and
   internal errors. There must be no internal error; unparsable files are KG000 findings.

Usage: python benchmarks/bench_scale.py [--jobs N] [--sample K] [--no-pylint] [--sweep]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_lint import kgen_command

from kgen.lint.discover import discover
from kgen.lint.runner import default_jobs

STDLIB = Path(sysconfig.get_paths()["stdlib"])


CPU = {}  # label -> CPU seconds (user + system) of the run and its worker processes


def timed(command: list[str], env: dict | None = None) -> tuple[float, subprocess.CompletedProcess]:
    """Wall seconds of the whole process; its CPU seconds, workers included, go to CPU under
    the command's text: on a shared machine, CPU time is the figure load does not distort."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU["last"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, run


def stdlib_corpus(sample: int) -> list[Path]:
    return sorted(discover([STDLIB], lambda p: False, []))[::sample]


def throughput(args) -> None:
    files = stdlib_corpus(args.sample)
    paths = [str(p) for p in files]
    lines = sum(p.read_bytes().count(b"\n") for p in files)
    jobs = args.jobs or default_jobs()
    print(f"corpus: {len(files)} files, {lines} lines under {STDLIB}")
    kgen = [*kgen_command(), "lint", "--format", "json"]
    results = {}

    def report(label: str, seconds: float) -> None:
        results[label] = seconds
        cpu = CPU["last"]
        print(
            f"  {label:<38} {seconds:8.2f} s  {len(files) / seconds:8.0f} files/s"
            f"  (CPU {cpu:7.2f} s, {len(files) / max(cpu, 1e-9):6.0f} files per CPU-second)",
            flush=True,
        )

    seconds, run = timed([*kgen, "--no-cache", "--jobs", "1", *paths])
    report("kgen cold, 1 worker", seconds)
    cold_findings = run.stdout
    seconds, run = timed([*kgen, "--no-cache", "--jobs", str(jobs), *paths])
    report(f"kgen cold, {jobs} workers", seconds)
    assert run.stdout == cold_findings, "findings depend on the number of workers"
    with tempfile.TemporaryDirectory() as cache_dir:
        env = {**os.environ, "KGEN_CACHE_DIR": cache_dir}
        seconds, run = timed([*kgen, "--jobs", str(jobs), *paths], env)
        report(f"kgen filling the cache, {jobs} workers", seconds)
        seconds, run = timed([*kgen, "--jobs", str(jobs), *paths], env)
        report("kgen warm cache", seconds)
        assert run.stdout == cold_findings, "the cache changed the findings"
    cold = results[f"kgen cold, {jobs} workers"]
    print(f"  warm cache vs cold ({jobs} workers)       {cold / results['kgen warm cache']:8.1f}x"
          "  (target >= 20x)")  # fmt: skip
    if args.no_pylint:
        return
    pylint = shutil.which("pylint", path=str(Path(sys.executable).parent)) or "pylint"
    for workers in (1, jobs):
        # pylint 4 exits at once ("No files to lint") when every message is disabled: the one
        # message left on, syntax-error, makes it parse every file with astroid, as it must.
        command = [pylint, "--disable=all", "--enable=syntax-error", f"--jobs={workers}"]
        seconds, run = timed([*command, *paths])
        assert "No files to lint" not in run.stdout + run.stderr, run.stderr
        report(f"pylint --disable=all, {workers} process(es)", seconds)
    peer = results[f"pylint --disable=all, {jobs} process(es)"]
    one = results["pylint --disable=all, 1 process(es)"]
    print(f"  kgen cold vs pylint, {jobs} workers each      {peer / cold:8.1f}x  (target >= 3x)")
    print(f"  kgen cold vs pylint, 1 worker each      "
          f"{one / results['kgen cold, 1 worker']:8.1f}x")  # fmt: skip


def sweep(args) -> None:
    roots = [STDLIB, *{Path(sysconfig.get_paths()[k]) for k in ("purelib", "platlib")}]
    files = set()
    for root in roots:
        for directory, _, names in os.walk(root):  # every file: no directory skipped
            files.update(os.path.join(directory, n) for n in names if n.endswith(".py"))
    ordered = sorted(files)
    jobs = str(args.jobs or default_jobs())
    codes: collections.Counter = collections.Counter()
    errors, internal, exit_codes = [], [], collections.Counter()
    start = time.perf_counter()
    for at in range(0, len(ordered), 2000):
        batch = ordered[at : at + 2000]
        command = [*kgen_command(), "lint", "--no-cache", "--jobs", jobs, "--format", "json"]
        run = subprocess.run([*command, *batch], capture_output=True, text=True, check=False)
        exit_codes[run.returncode] += 1
        codes.update(f["code"] for f in json.loads(run.stdout or "[]"))
        for line in run.stderr.splitlines():
            (internal if "internal error" in line or "Traceback" in line else errors).append(line)
    seconds = time.perf_counter() - start
    print(f"sweep: {len(ordered)} .py files under {', '.join(map(str, roots))}")
    print(f"  {seconds:.1f} s, {len(ordered) / seconds:.0f} files/s, exit codes {dict(exit_codes)}")
    print(f"  findings by code: {dict(sorted(codes.items()))}")
    print(f"  files that could not be read: {len(errors)}")
    for line in errors[:10]:
        print(f"    {line}")
    print(f"  internal errors: {len(internal)}")
    for line in internal[:20]:
        print(f"    {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, help="kgen workers (default: all cores)")
    parser.add_argument("--sample", type=int, default=1, help="every K-th corpus file")
    parser.add_argument("--no-pylint", action="store_true", help="skip the pylint peer")
    parser.add_argument("--sweep", action="store_true", help="run the never-crash sweep only")
    args = parser.parse_args()
    sweep(args) if args.sweep else throughput(args)


if __name__ == "__main__":
    main()
