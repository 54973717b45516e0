"""What does feeding fit() through a keras.utils.PyDataset cost on TensorFlow, reading aside?

The generated audio script trains slower than a keras.io-style tf.data reference
(bench_data.py), although reading and transforming one clip costs ~0.2-0.5 ms. This isolates the
input path: the generated audio script's model shape (61 frames x F bins, SeparableConv1D) trains
on the same in-memory arrays, fed three ways:

- arrays: fit(x, y) (Keras slices the arrays in tf.data);
- pydataset: a keras.utils.PyDataset whose __getitem__ only slices the arrays (no reading);
- from_generator: tf.data.Dataset.from_generator over the same slices (what Keras's PyDataset
  adapter builds on TensorFlow).

Reported: wall and process CPU seconds per epoch (the mean of epochs 2-4; epoch 1 traces).
Usage: python benchmarks/bench_pydataset_overhead.py [--bins 257] [--batches 175]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

RUN = """
import os, sys, time
import numpy as np, keras, tensorflow as tf
from keras import layers

feed, bins, batches = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
x = rng.random((batches * 32, 61, bins), dtype="float32")
y = rng.integers(0, 3, batches * 32)
inputs = keras.Input((61, bins))
h = layers.SeparableConv1D(64, 5, padding="same", activation="relu")(inputs)
h = layers.MaxPooling1D(2)(h)
h = layers.SeparableConv1D(128, 5, padding="same", activation="relu")(h)
h = layers.GlobalAveragePooling1D()(h)
model = keras.Model(inputs, layers.Dense(3, activation="softmax")(h))
model.compile("adam", "sparse_categorical_crossentropy")


class Slices(keras.utils.PyDataset):
    def __len__(self):
        return batches

    def __getitem__(self, index):
        return x[index * 32 : (index + 1) * 32], y[index * 32 : (index + 1) * 32]


class Timer(keras.callbacks.Callback):
    times = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter(), time.process_time()

    def on_epoch_end(self, epoch, logs=None):
        wall, cpu = self.start
        self.times.append((time.perf_counter() - wall, time.process_time() - cpu))


if feed == "arrays":
    model.fit(x, y, batch_size=32, epochs=4, verbose=0, callbacks=[Timer()])
elif feed == "pydataset":
    model.fit(Slices(), epochs=4, verbose=0, callbacks=[Timer()])
else:
    signature = (tf.TensorSpec((None, 61, bins), "float32"), tf.TensorSpec((None,), "int64"))
    dataset = tf.data.Dataset.from_generator(
        lambda: (Slices()[index] for index in range(batches)), output_signature=signature
    )
    model.fit(dataset.prefetch(2), epochs=4, verbose=0, callbacks=[Timer()])
wall, cpu = np.mean(Timer.times[1:], axis=0)
print(f"BENCH {wall:.2f} {cpu:.2f}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bins", type=int, default=257, help="frequency bins per frame")
    parser.add_argument("--batches", type=int, default=175, help="batches of 32 per epoch")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each feed, interleaved")
    args = parser.parse_args()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}
    print(f"{args.batches} batches of 32 x 61 x {args.bins} float32 per epoch")
    print("| feed | wall s/epoch | CPU s/epoch | CPU ms/step over arrays |")
    print("|---|---|---|---|")
    results: dict[str, list[tuple[float, float]]] = {}
    for _ in range(args.rounds):
        for feed in ("arrays", "pydataset", "from_generator"):
            out = subprocess.run(
                [sys.executable, "-c", RUN, feed, str(args.bins), str(args.batches)],
                env=env, capture_output=True, text=True, check=True,
            )  # fmt: skip
            line = next(line for line in out.stdout.splitlines() if line.startswith("BENCH"))
            wall, cpu = map(float, line.split()[1:])
            results.setdefault(feed, []).append((wall, cpu))
    base_cpu = min(cpu for _, cpu in results["arrays"])
    for feed, runs in results.items():
        wall, cpu = min(runs, key=lambda run: run[1])  # the least disturbed run
        extra = (cpu - base_cpu) / args.batches * 1000
        print(f"| {feed} | {wall:.2f} | {cpu:.2f} | {extra:+.1f} |")


if __name__ == "__main__":
    main()
