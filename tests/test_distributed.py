"""--distribute across machines: real worker processes of a generated script on 127.0.0.1."""

import json
import os
import re
import socket
import subprocess
import sys
import time

from test_backends import backend_python

from kgen import generate

ARGS = ["--synthetic", "64", "--epochs", "1", "--distribute"]


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def run_workers(python, script_dir, environments, timeout=120):
    """Start one train.py per environment, each with its own --output-dir; wait for all. A
    worker that fails leaves the others waiting on it forever, so they are stopped then."""
    processes = [
        subprocess.Popen(
            [python, "train.py", *ARGS, "--output-dir", f"out{index}"],
            cwd=script_dir,
            env={**os.environ, **environment},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index, environment in enumerate(environments)
    ]
    deadline = time.monotonic() + timeout
    while any(process.poll() is None for process in processes):
        failed = any(process.poll() not in (None, 0) for process in processes)
        if failed or time.monotonic() > deadline:
            for process in processes:
                process.kill()
        time.sleep(0.5)
    return [(process.returncode, *process.communicate()) for process in processes]


def check_two_workers(tmp_path, results):
    for worker, (returncode, stdout, stderr) in enumerate(results):
        assert returncode == 0, stderr[-3000:]
        assert "Data-parallel training on 2 device(s) across 2 worker(s)" in stdout
        # Each worker trains on its own half of the training split.
        share = re.search(rf"Worker {worker} of 2 takes (\d+) of the (\d+) training samples", stdout)
        assert share, stdout[-3000:]
        assert int(share[1]) == int(share[2]) // 2
    chief_outputs = {path.name for path in (tmp_path / "out0").iterdir()}
    assert {"model.keras", "checkpoint.keras", "metrics.json", "history.png"} <= chief_outputs
    assert json.loads((tmp_path / "out0" / "metrics.json").read_text())["loss"] > 0
    assert not (tmp_path / "out1").exists()  # the other worker wrote to a scratch folder


def write_script(tmp_path, task="multiclass", data="image"):
    spec = generate.ScriptSpec.build(task, data)
    (tmp_path / "train.py").write_text(generate.render(spec))


def test_two_jax_processes_train_and_only_the_chief_writes(tmp_path, request):
    python = backend_python(request.config.cache.mkdir("kgen-backends"), "jax")
    write_script(tmp_path)
    (port,) = free_ports(1)
    environments = [
        {
            "KERAS_BACKEND": "jax",
            "JAX_PLATFORMS": "cpu",
            "JAX_COORDINATOR_ADDRESS": f"127.0.0.1:{port}",
            "JAX_NUM_PROCESSES": "2",
            "JAX_PROCESS_ID": str(index),
        }
        for index in range(2)
    ]
    check_two_workers(tmp_path, run_workers(python, tmp_path, environments))


def tensorflow_workers(count):
    workers = [f"127.0.0.1:{port}" for port in free_ports(count)]
    return [
        {
            "TF_CONFIG": json.dumps(
                {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
            )
        }
        for index in range(count)
    ]


def test_two_tensorflow_workers_train_and_only_the_chief_writes(tmp_path):
    write_script(tmp_path)
    check_two_workers(tmp_path, run_workers(sys.executable, tmp_path, tensorflow_workers(2)))


def test_two_tensorflow_workers_share_an_in_memory_table(tmp_path):
    write_script(tmp_path, "binary", "vector")
    check_two_workers(tmp_path, run_workers(sys.executable, tmp_path, tensorflow_workers(2)))


# A TensorFlow worker with two devices, as a machine with two GPUs would be: MirroredStrategy
# over two logical CPUs stands in as the base of the script's MultiWorkerMirroredStrategy
# subclass (which on CPU always takes one device), so the script's own dataset splitting runs.
TWO_DEVICE_WORKER = """
import importlib.util, json, sys, warnings
import numpy as np
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

class TwoDevices(tf.distribute.MirroredStrategy):
    def __init__(self):
        super().__init__(["/cpu:0", "/cpu:1"])

tf.distribute.MultiWorkerMirroredStrategy = TwoDevices
module_spec = importlib.util.spec_from_file_location("train", sys.argv[1])
script = importlib.util.module_from_spec(module_spec)
module_spec.loader.exec_module(script)  # not __main__: defines, trains nothing
keras = script.keras

class SamplesSeen(keras.metrics.Metric):
    def __init__(self):
        super().__init__(name="samples_seen")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")
    def update_state(self, y_true, y_pred, sample_weight=None):
        self.count.assign_add(tf.cast(tf.shape(y_true)[0], "float32"))
    def result(self):
        return self.count

class Steps(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        self.steps = batch + 1

strategy = script.multi_worker_strategy(tf, batch_size=10)
x = np.linspace(0, 1, 95, dtype="float32")[:, None]
with strategy.scope():
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse", metrics=[SamplesSeen()])
steps = Steps()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    history = model.fit(tf.data.Dataset.from_tensor_slices((x, 2 * x)).batch(10), epochs=2,
                        shuffle=False, callbacks=[steps], verbose=0)
print(json.dumps({"devices": strategy.num_replicas_in_sync, "steps": steps.steps,
                  "seen": history.history["samples_seen"],
                  "warnings": [str(w.message) for w in caught]}))
"""


def test_a_tensorflow_worker_splits_each_batch_across_its_own_devices(tmp_path):
    write_script(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", TWO_DEVICE_WORKER, str(tmp_path / "train.py")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    run = json.loads(result.stdout.splitlines()[-1])
    assert run["devices"] == 2
    # 95 samples in batches of 10: ten steps an epoch, each sample once, as on one device.
    assert run["steps"] == 10
    assert run["seen"] == [95.0, 95.0]
    assert not [message for message in run["warnings"] if "ran out of data" in message]
