"""Wall time of the default image script on 1,797 32x32 grayscale digits, before and after the
image shape came from the data.

scikit-learn's 8x8 digits, upscaled to 32x32, are written as class folders; each script given on
the command line (e.g. main's and this checkout's) is run for 1 and for
--epochs N epochs, so a per-epoch figure (the difference) is separated from the fixed cost
(imports, loading, building, evaluating):

    git show "main:tests/__snapshots__/test_snapshots/test_generated_script_matches_snapshot[multiclass_image_sepconv2d].py" > before.py
    kgen new --task multiclass --data image -o after.py
    python benchmarks/bench_image_size.py before.py after.py --epochs 3
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image
from sklearn import datasets


def write_digits(folder):
    digits = datasets.load_digits()
    for index, (image, label) in enumerate(zip(digits.images, digits.target)):
        path = folder / f"digit_{label}" / f"{index:04d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        pixels = Image.fromarray((image * 255 / 16).astype("uint8"), "L")
        pixels.resize((32, 32), Image.Resampling.BICUBIC).save(path)
    return len(digits.images)


def run(script, data, epochs, output_dir):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}
    command = [sys.executable, str(script), "--data", str(data), "--epochs", str(epochs)]
    start = time.perf_counter()
    result = subprocess.run(
        [*command, "--output-dir", str(output_dir)],
        check=False,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"{script} failed:\n{result.stderr[-2000:]}")
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scripts", nargs="+", type=Path)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        count = write_digits(Path(tmp) / "digits")
        print(f"{count} images, 32x32 grayscale; {os.cpu_count()} CPU cores")
        print(f"{'script':<40} {'1 epoch':>9} {f'{args.epochs} epochs':>10} {'per epoch':>10}")
        for script in args.scripts:
            one = run(script.resolve(), Path(tmp) / "digits", 1, Path(tmp) / "out")
            many = run(script.resolve(), Path(tmp) / "digits", args.epochs, Path(tmp) / "out")
            per_epoch = (many - one) / (args.epochs - 1)
            print(f"{script!s:<40} {one:>8.1f}s {many:>9.1f}s {per_epoch:>9.1f}s")


if __name__ == "__main__":
    main()
