"""What the rules need to know about Keras layers and activations, in one place."""

from __future__ import annotations

from kgen.lint.models import DEFAULT, Const, Instance
from kgen.lint.resolve import Ref

RNN_LAYERS = frozenset(
    {
        "SimpleRNN",
        "GRU",
        "LSTM",
        "RNN",
        "ConvLSTM1D",
        "ConvLSTM2D",
        "ConvLSTM3D",
        "CuDNNGRU",
        "CuDNNLSTM",
    }
)

# Layers whose values pass through unchanged in kind: a sigmoid output followed by Dropout,
# Reshape or an inverted Normalization is still a sigmoid output (for the loss) or still linear.
VALUE_PRESERVING = frozenset(
    {
        "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout",
        "AlphaDropout", "ActivityRegularization", "Identity", "Masking", "Reshape", "Flatten",
        "Permute", "RepeatVector", "Normalization", "Rescaling",
    }
)  # fmt: skip

# Layers that keep the time axis of a sequence: between two RNNs they do not end the stack.
TIME_PRESERVING = frozenset(
    {
        "Dropout", "SpatialDropout1D", "GaussianDropout", "GaussianNoise", "AlphaDropout",
        "BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization",
        "Activation", "Masking", "ActivityRegularization", "Identity", "TimeDistributed",
    }
)  # fmt: skip

# Layers with an `activation=` parameter (default linear), by the parameter giving their width.
DENSE_LAYERS = frozenset({"Dense"})
CONV_LAYERS = frozenset(
    {
        "Conv1D", "Conv2D", "Conv3D", "SeparableConv1D", "SeparableConv2D",
        "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "DepthwiseConv1D", "DepthwiseConv2D",
        "Convolution1D", "Convolution2D", "Convolution3D",
    }
)  # fmt: skip
ACTIVATED_LAYERS = DENSE_LAYERS | CONV_LAYERS | {"EinsumDense"}

# Layers that are an activation function.
ACTIVATION_LAYERS = {
    "Softmax": "softmax",
    "ReLU": "relu",
    "LeakyReLU": "leaky_relu",
    "PReLU": "prelu",
    "ELU": "elu",
    "ThresholdedReLU": "relu",
}

_ACTIVATION_MODULES = (
    "keras.activations.",
    "tensorflow.nn.",
    "tensorflow.math.",
    "keras.ops.",
)
_ALIASES = {"swish": "silu", "hard_swish": "hard_silu", "linear": "linear"}


def activation_name(value) -> str | None:
    """`"softmax"`, `keras.activations.softmax`, `tf.nn.softmax`, a LeakyReLU layer... -> a
    lower-case activation name; "linear" for none; None when unknown."""
    if value is DEFAULT or value == Const(None):
        return "linear"
    if isinstance(value, Const) and isinstance(value.value, str):
        name = value.value.lower()
        return _ALIASES.get(name, name)
    if isinstance(value, Ref) and value.qualname.startswith(_ACTIVATION_MODULES):
        return _ALIASES.get(value.last, value.last)
    if isinstance(value, Ref) and value.qualname == "tensorflow.sigmoid":
        return "sigmoid"
    if isinstance(value, Instance) and value.kind in ACTIVATION_LAYERS:
        return ACTIVATION_LAYERS[value.kind]
    return None


def int_value(value) -> int | None:
    if isinstance(value, Const) and type(value.value) is int:
        return value.value
    return None


# Layers that keep the channel count of their input (the last axis of an image or sequence).
CHANNEL_PRESERVING = frozenset(
    {
        "Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise", "GaussianDropout",
        "BatchNormalization", "LayerNormalization", "GroupNormalization", "Normalization",
        "Rescaling", "Resizing", "CenterCrop", "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU",
        "MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D",
        "ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D", "UpSampling1D", "UpSampling2D",
        "RandomFlip", "RandomRotation", "RandomZoom", "RandomContrast", "RandomTranslation",
        "RandomCrop", "RandomBrightness", "Masking", "Identity",
    }
)  # fmt: skip
