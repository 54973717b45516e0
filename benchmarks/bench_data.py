"""Streaming input at scale: does a generated script's memory stay flat as the data grows, and
does it keep up with Keras's own tf.data loaders?

For each modality (image .jpg, text .txt, audio .wav), N and 8N synthetic files are written in
class folders (3 classes). Two scripts train one epoch on the same files (--epochs 1, batch 32):

- generated: `kgen new --task multiclass --data MODALITY`, run with `--data DIR`;
- reference: a keras.io-style script that loads the same folders with
  `keras.utils.{image,text,audio}_dataset_from_directory` (tf.data) and trains the generated
  script's own `build_model` on them: the same model on the same files.

Reported per run: peak RSS of the process (`wait4`), whole-process wall time, and samples per
second of the one training epoch alone (timed by a callback in both scripts: imports, listing
and model building are left out). Goals: peak RSS 8N / N <= 1.15; generated >= 0.9x the
reference's samples/s.

Usage: python benchmarks/bench_data.py [--n 1000] [--modalities image,text,audio]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

from kgen import generate

CLASSES = ("class_a", "class_b", "class_c")
IMAGE_SIZE = (128, 128)  # both scripts resize the 160x200 JPEGs to this
SUFFIX = {"image": ".jpg", "text": ".txt", "audio": ".wav"}
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}

# Appended to both scripts: times the first training epoch and prints samples/s.
EPOCH_TIMER = """
import time as _time

import keras as _keras


class _EpochTimer(_keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.start, self.seen = _time.perf_counter(), 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen = batch + 1

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0:
            seconds = _time.perf_counter() - self.start
            print(f"BENCH epoch_seconds={seconds:.3f} batches={self.seen}", flush=True)
"""

REFERENCE = """
import sys

import keras
import tensorflow as tf

import train
from train import build_model, compile_model

data, modality = sys.argv[1], sys.argv[2]
common = dict(batch_size=32, validation_split=0.3, subset="both", seed=42, label_mode="int")
if modality == "image":
    train_ds, val_ds = keras.utils.image_dataset_from_directory(
        data, image_size=IMAGE_SIZE, **common
    )
elif modality == "text":
    train_ds, val_ds = keras.utils.text_dataset_from_directory(data, **common)
    vectorize = keras.layers.TextVectorization(
        train.VOCAB_SIZE, output_sequence_length=train.SEQUENCE_LENGTH
    )
    vectorize.adapt(train_ds.map(lambda x, y: x))
    train_ds, val_ds = (ds.map(lambda x, y: (vectorize(x), y)) for ds in (train_ds, val_ds))
else:
    train_ds, val_ds = keras.utils.audio_dataset_from_directory(
        data, output_sequence_length=train.SAMPLE_RATE, **common
    )

    def spectrogram(audio, label):
        stft = tf.signal.stft(audio[..., 0], train.FRAME_LENGTH, train.FRAME_STEP, pad_end=False)
        return tf.math.log1p(tf.abs(stft)), label

    train_ds, val_ds = (ds.map(spectrogram) for ds in (train_ds, val_ds))
train_ds = train_ds.prefetch(tf.data.AUTOTUNE)
val_ds = val_ds.prefetch(tf.data.AUTOTUNE)


class NumpyBatches:  # what build_model reads: sample_shape, and NumPy (samples, targets)

    def __init__(self, dataset):
        self.dataset, self.sample_shape = dataset, tuple(dataset.element_spec[0].shape[1:])

    def __iter__(self):
        return self.dataset.as_numpy_iterator()


sized = (vectorize.vocabulary_size(),) if modality == "text" else ()  # the embedding's rows
model = build_model(NumpyBatches(train_ds), None, list(CLASSES), *sized)
compile_model(model, train.LEARNING_RATE)
model.fit(train_ds, validation_data=val_ds, epochs=1, callbacks=[_EpochTimer()])
"""


def write_files(folder: Path, modality: str, count: int, rng) -> None:
    from PIL import Image

    for index in range(count):
        label = index % len(CLASSES)
        path = folder / CLASSES[label] / f"{index:06d}{SUFFIX[modality]}"
        path.parent.mkdir(parents=True, exist_ok=True)
        if modality == "image":
            pixels = rng.uniform(0, 155, (160, 200, 3)) + 50 * label
            Image.fromarray(pixels.astype("uint8")).save(path, quality=90)
        elif modality == "text":
            words = rng.choice(["data", "model", "layer", "train", f"word{label}"], 60)
            path.write_text(" ".join(words), encoding="utf-8")
        else:
            time_ = np.arange(16000) / 16000
            tone = 0.5 * np.sin(2 * np.pi * (300 + 500 * label) * time_)
            with wave.open(str(path), "wb") as wav:
                wav.setnchannels(1)
                wav.setsampwidth(2)
                wav.setframerate(16000)
                pcm = np.clip(tone + rng.normal(0, 0.1, len(tone)), -1, 1) * 32767
                wav.writeframes(pcm.astype("<i2").tobytes())


def peak_rss_run(command: list[str], cwd: Path) -> dict:
    """Run to completion under a fresh wrapper process whose children's resource usage is the
    script's peak RSS; wall time, and the BENCH line's figures."""
    wrapper = [
        sys.executable,
        "-c",
        (
            "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
            "print('RSS', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)"
        ),
        *command,
    ]
    start = time.perf_counter()
    result = subprocess.run(wrapper, check=False, cwd=cwd, env=ENV, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
    rss_kib = int(result.stderr.strip().splitlines()[-1].split()[1])
    # Keras's progress bar may share the line: search, don't match at its start.
    timed = re.search(r"BENCH epoch_seconds=(\S+) batches=(\d+)", result.stdout)
    if timed is None:
        raise SystemExit(f"{' '.join(command)} printed no BENCH line:\n{result.stdout[-2000:]}")
    figures = {"epoch_seconds": timed[1], "batches": timed[2]}
    return {
        "wall": wall,
        "rss_mib": rss_kib / 1024,
        "epoch": float(figures["epoch_seconds"]),
        "batches": int(figures["batches"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--modalities", default="image,text,audio")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print("| data | files | script | peak RSS | wall | train samples/s |")
    print("|---|---|---|---|---|---|")
    for modality in args.modalities.split(","):
        with tempfile.TemporaryDirectory(prefix=f"bench_{modality}_") as tmp:
            work = Path(tmp)
            source = generate.render(generate.ScriptSpec.build("multiclass", modality))
            # The timer goes in before the entry point, and into the callbacks of fit().
            source = source.replace(
                'if __name__ == "__main__":\n    main(ARGS)',
                EPOCH_TIMER + '\n\nif __name__ == "__main__":\n    main(ARGS)',
            )
            source, timed = re.subn(
                r"callbacks=make_callbacks\(([^)]*)\),",
                r"callbacks=[*make_callbacks(\1), _EpochTimer()],",
                source,
                count=1,
            )
            if not timed:  # the script's fit() changed shape: say so rather than time nothing
                raise SystemExit("bench_data: no make_callbacks(...) in the generated fit()")
            (work / "train.py").write_text(source)
            reference = EPOCH_TIMER + REFERENCE.replace("list(CLASSES)", repr(list(CLASSES)))
            reference = reference.replace("IMAGE_SIZE", repr(IMAGE_SIZE))
            # The generated script picks its image size from the files: give it the reference's.
            size = ["--image-size", *map(str, IMAGE_SIZE)] if modality == "image" else []
            (work / "reference.py").write_text(reference)
            for count in (args.n, 8 * args.n):
                data = work / f"data_{count}"
                write_files(data, modality, count, rng)
                for name, command in [
                    ("generated", [sys.executable, "train.py", "--data", str(data),
                                   "--epochs", "1", "--output-dir", str(work / "out"), *size]),
                    ("reference", [sys.executable, "reference.py", str(data), modality]),
                ]:  # fmt: skip
                    figures = peak_rss_run(command, work)
                    # Both train on about 70% of the files in batches of 32.
                    rate = figures["batches"] * 32 / figures["epoch"]
                    print(
                        f"| {modality} | {count} | {name} | {figures['rss_mib']:.0f} MiB "
                        f"| {figures['wall']:.1f} s | {rate:.0f} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
