"""kgen: generate correct Keras 3 training scripts, and lint the ones you have."""

__version__ = "0.1.0"
