"""The Keras and backend versions generated scripts are tested with, named in each script's
docstring. kgen never imports them: tests/test_versions.py checks this table against the
installed packages, and tests/test_backends.py installs the JAX and PyTorch versions from it."""

KERAS = "3.15.1"
BACKENDS = {"tensorflow": "2.21.0", "jax": "0.10.2", "torch": "2.13.0"}


def pip_line(backend: str) -> str:
    """The `pip install` line that reproduces the tested Keras on `backend`."""
    return f"pip install keras=={KERAS} {backend}=={BACKENDS[backend]}"
