"""--distribute across machines: real worker processes of a generated script on 127.0.0.1."""

import json
import os
import socket
import subprocess
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
    for returncode, stdout, stderr in results:
        assert returncode == 0, stderr[-3000:]
        assert "Data-parallel training on 2 device(s) across 2 worker(s)" in stdout
    chief_outputs = {path.name for path in (tmp_path / "out0").iterdir()}
    assert {"model.keras", "checkpoint.keras", "metrics.json", "history.png"} <= chief_outputs
    assert json.loads((tmp_path / "out0" / "metrics.json").read_text())["loss"] > 0
    assert not (tmp_path / "out1").exists()  # the other worker wrote to a scratch folder


def write_image_script(tmp_path):
    spec = generate.ScriptSpec.build("multiclass", "image")
    (tmp_path / "train.py").write_text(generate.render(spec))


def test_two_jax_processes_train_and_only_the_chief_writes(tmp_path, request):
    python = backend_python(request.config.cache.mkdir("kgen-backends"), "jax")
    write_image_script(tmp_path)
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


def test_two_tensorflow_workers_train_and_only_the_chief_writes(tmp_path):
    import sys

    write_image_script(tmp_path)
    workers = [f"127.0.0.1:{port}" for port in free_ports(2)]
    environments = [
        {
            "TF_CONFIG": json.dumps(
                {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
            )
        }
        for index in range(2)
    ]
    check_two_workers(tmp_path, run_workers(sys.executable, tmp_path, environments))
