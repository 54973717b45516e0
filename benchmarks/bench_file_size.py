"""Time and peak memory of `kgen lint` on one generated file of growing size: the figures
behind the default `max-file-size` (kgen/lint/config.py). Each size runs in a fresh process
(with the bound lifted) so the peak RSS is that file's.

    python benchmarks/bench_file_size.py [MB ...]
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BLOCK = """
inputs_{i} = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(32, 3, activation="relu")(inputs_{i})
x = layers.MaxPooling2D()(x)
x = layers.Flatten()(x)
x = layers.Dense(64, activation="relu")(x)
model_{i} = keras.Model(inputs_{i}, layers.Dense(10, activation="softmax")(x))
model_{i}.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
"""


def generated(size: int) -> str:
    parts, length, i = ["import keras\nfrom keras import layers\n"], 0, 0
    while length < size:
        block = BLOCK.format(i=i)
        parts.append(block)
        length += len(block)
        i += 1
    return "".join(parts)


def main(sizes_mb: list[float]) -> None:
    print(f"{'size':>8}  {'lines':>8}  {'seconds':>8}  {'peak RSS':>9}")
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "pyproject.toml").write_text("[tool.kgen.lint]\nmax-file-size = 0\n")
        for mb in sizes_mb:
            path = Path(folder) / "big.py"
            path.write_text(generated(int(mb * 1_000_000)))
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "kgen", "lint", "--no-cache", str(path)],
                capture_output=True,
                check=False,
            )
            seconds = time.perf_counter() - start
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            lines = path.read_text().count("\n")
            print(f"{mb:>6.2f}MB  {lines:>8,}  {seconds:>8.1f}  {peak:>7.0f}MB")


if __name__ == "__main__":
    main([float(a) for a in sys.argv[1:]] or [0.25, 0.5, 1.0, 2.0])
