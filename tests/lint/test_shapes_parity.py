"""Static shape inference against real Keras: each source below is linted by kgen (without
Keras) and executed with Keras; every layer's output shape and parameter count, and the model
totals, must agree exactly. One Keras import; models are built, never trained."""

from __future__ import annotations

import warnings

import libcst as cst
import pytest

from kgen.lint.models import extract
from kgen.lint.shapes import UNKNOWN, infer

HEADER = "import keras\nfrom keras import layers\n"

MODELS = {
    "mlp": """
model = keras.Sequential([keras.Input(shape=(20,)), layers.Dense(64, activation="relu"),
    layers.Dropout(0.5), layers.Dense(1, activation="sigmoid")])
""",
    "mlp_no_bias": """
inputs = keras.Input(shape=(13,))
x = layers.Dense(32, use_bias=False)(inputs)
x = layers.BatchNormalization()(x)
x = layers.Activation("relu")(x)
model = keras.Model(inputs, layers.Dense(3, activation="softmax")(x))
""",
    "input_shape_argument": """
model = keras.Sequential([layers.Dense(16, activation="relu", input_shape=(8,)), layers.Dense(1)])
""",
    "mnist_convnet": """
model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Flatten(),
    layers.Dropout(0.5),
    layers.Dense(10, activation="softmax"),
])
""",
    "conv2d_strides_same": """
IMAGE_SIZE = (180, 180)
inputs = keras.Input(shape=IMAGE_SIZE + (3,))
x = layers.Rescaling(1.0 / 255)(inputs)
x = layers.Conv2D(128, 3, strides=2, padding="same")(x)
x = layers.BatchNormalization()(x)
x = layers.Activation("relu")(x)
x = layers.SeparableConv2D(256, 3, padding="same")(x)
x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
x = layers.GlobalAveragePooling2D()(x)
model = keras.Model(inputs, layers.Dense(1)(x))
""",
    "conv2d_dilation_odd_sizes": """
inputs = keras.Input(shape=(37, 41, 5))
x = layers.Conv2D(8, (5, 3), strides=(2, 3), dilation_rate=1)(inputs)
x = layers.Conv2D(8, 3, dilation_rate=2)(x)
x = layers.AveragePooling2D(pool_size=(3, 2), strides=(2, 2), padding="same")(x)
model = keras.Model(inputs, x)
""",
    "conv2d_groups_no_bias": """
inputs = keras.Input(shape=(16, 16, 8))
x = layers.Conv2D(16, 3, groups=4, use_bias=False, padding="same")(inputs)
x = layers.DepthwiseConv2D(3, depth_multiplier=2)(x)
model = keras.Model(inputs, x)
""",
    "separable_depth_multiplier": """
inputs = keras.Input(shape=(32, 32, 3))
x = layers.SeparableConv2D(16, 3, depth_multiplier=2, strides=2)(inputs)
x = layers.SeparableConv2D(32, (3, 3), use_bias=False, padding="same")(x)
model = keras.Model(inputs, layers.GlobalMaxPooling2D()(x))
""",
    "conv1d_audio": """
inputs = keras.Input(shape=(16000, 1))
x = layers.Conv1D(16, 9, strides=4, activation="relu")(inputs)
x = layers.MaxPooling1D(4)(x)
x = layers.Conv1D(32, 9, padding="causal", dilation_rate=2)(x)
x = layers.AveragePooling1D(2)(x)
x = layers.SeparableConv1D(64, 5, padding="same")(x)
x = layers.GlobalAveragePooling1D()(x)
model = keras.Model(inputs, layers.Dense(10, activation="softmax")(x))
""",
    "conv1d_text": """
VOCAB_SIZE = 20000
inputs = keras.Input(shape=(500,), dtype="int64")
x = layers.Embedding(VOCAB_SIZE, 128)(inputs)
x = layers.Dropout(0.5)(x)
x = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(x)
x = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(x)
x = layers.GlobalMaxPooling1D()(x)
model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(x))
""",
    "conv3d_volume": """
inputs = keras.Input(shape=(64, 64, 32, 1))
x = layers.Conv3D(16, 3, activation="relu")(inputs)
x = layers.MaxPooling3D(2)(x)
x = layers.Conv3D(32, (3, 3, 1), strides=(1, 2, 1), padding="same")(x)
x = layers.AveragePooling3D((2, 2, 2))(x)
x = layers.BatchNormalization()(x)
x = layers.GlobalAveragePooling3D()(x)
model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(x))
""",
    "conv_transpose_decoder": """
inputs = keras.Input(shape=(16,))
x = layers.Dense(7 * 7 * 32, activation="relu")(inputs)
x = layers.Reshape((7, 7, 32))(x)
x = layers.Conv2DTranspose(64, 3, strides=2, padding="same")(x)
x = layers.Conv2DTranspose(32, 3, strides=2)(x)
x = layers.Conv2DTranspose(16, 5, dilation_rate=2)(x)
model = keras.Model(inputs, layers.Conv2D(1, 3, padding="same", activation="sigmoid")(x))
""",
    "conv_transpose_1d_3d": """
inputs = keras.Input(shape=(10, 4))
x = layers.Conv1DTranspose(8, 3, strides=2)(inputs)
x = layers.Conv1DTranspose(8, 4, strides=3, padding="same")(x)
y_in = keras.Input(shape=(4, 4, 4, 2))
y = layers.Conv3DTranspose(4, 2, strides=2)(y_in)
y = layers.Flatten()(y)
model = keras.Model([inputs, y_in], [x, y])
""",
    "denoising_autoencoder": """
inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(inputs)
x = layers.MaxPooling2D((2, 2), padding="same")(x)
x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(x)
x = layers.MaxPooling2D((2, 2), padding="same")(x)
x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
model = keras.Model(inputs, layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x))
""",
    "lstm_stack": """
model = keras.Sequential([
    keras.Input(shape=(None, 8)),
    layers.LSTM(64, return_sequences=True),
    layers.Dropout(0.2),
    layers.LSTM(32),
    layers.Dense(1),
])
""",
    "gru_reset_after": """
inputs = keras.Input(shape=(120, 7))
x = layers.GRU(32, return_sequences=True)(inputs)
x = layers.GRU(16, reset_after=False)(x)
model = keras.Model(inputs, layers.Dense(1)(x))
""",
    "simple_rnn_no_bias": """
inputs = keras.Input(shape=(30, 3))
x = layers.SimpleRNN(12, return_sequences=True, use_bias=False)(inputs)
x = layers.SimpleRNN(6)(x)
model = keras.Model(inputs, x)
""",
    "bidirectional_concat_imdb": """
inputs = keras.Input(shape=(None,), dtype="int32")
x = layers.Embedding(20000, 128)(inputs)
x = layers.Bidirectional(layers.LSTM(64, return_sequences=True))(x)
x = layers.Bidirectional(layers.LSTM(64))(x)
model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(x))
""",
    "bidirectional_merge_modes": """
inputs = keras.Input(shape=(20, 6))
a = layers.Bidirectional(layers.GRU(8, return_sequences=True), merge_mode="sum")(inputs)
b = layers.Bidirectional(layers.LSTM(8, return_sequences=True), merge_mode="mul")(a)
c = layers.Bidirectional(layers.SimpleRNN(4), merge_mode="ave")(b)
model = keras.Model(inputs, c)
""",
    "sequence_tagging": """
inputs = keras.Input(shape=(50,), dtype="int32")
x = layers.Embedding(5000, 64, mask_zero=True)(inputs)
x = layers.Bidirectional(layers.LSTM(32, return_sequences=True))(x)
tags = layers.TimeDistributed(layers.Dense(9, activation="softmax"))(x)
model = keras.Model(inputs, tags)
""",
    "time_distributed_video": """
inputs = keras.Input(shape=(8, 64, 64, 3))
x = layers.TimeDistributed(layers.Conv2D(16, 3, activation="relu"))(inputs)
x = layers.TimeDistributed(layers.MaxPooling2D())(x)
x = layers.TimeDistributed(layers.GlobalAveragePooling2D())(x)
x = layers.GRU(32)(x)
model = keras.Model(inputs, layers.Dense(4, activation="softmax")(x))
""",
    "time_distributed_flatten_dense": """
inputs = keras.Input(shape=(10, 4, 4))
x = layers.TimeDistributed(layers.Flatten())(inputs)
x = layers.TimeDistributed(layers.Dense(5))(x)
model = keras.Model(inputs, x)
""",
    "shared_input_two_convs_concatenated": """
inputs = keras.Input(shape=(64, 64, 1))
a = layers.Conv2D(32, 4, activation="relu")(inputs)
a = layers.MaxPooling2D()(a)
a = layers.Flatten()(a)
b = layers.Conv2D(16, 8, activation="relu")(inputs)
b = layers.MaxPooling2D()(b)
b = layers.Flatten()(b)
merged = layers.Concatenate()([a, b])
model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(merged))
""",
    "multi_input_multi_output": """
title = keras.Input(shape=(None,), name="title")
body = keras.Input(shape=(None,), name="body")
tags = keras.Input(shape=(12,), name="tags")
t = layers.LSTM(128)(layers.Embedding(10000, 64)(title))
b = layers.LSTM(32)(layers.Embedding(10000, 64)(body))
x = layers.Concatenate()([t, b, tags])
priority = layers.Dense(1, name="priority")(x)
department = layers.Dense(4, name="department")(x)
model = keras.Model([title, body, tags], [priority, department])
""",
    "concatenate_axis_1_and_add": """
a_in = keras.Input(shape=(10, 4))
b_in = keras.Input(shape=(6, 4))
x = layers.Concatenate(axis=1)([a_in, b_in])
y = layers.Dense(4)(x)
s = layers.Add()([x, y])
model = keras.Model([a_in, b_in], s)
""",
    "residual_block": """
inputs = keras.Input(shape=(32, 32, 3))
x = layers.Conv2D(32, 3, padding="same")(inputs)
previous = x
x = layers.Activation("relu")(x)
x = layers.SeparableConv2D(64, 3, padding="same")(x)
x = layers.BatchNormalization()(x)
x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
residual = layers.Conv2D(64, 1, strides=2, padding="same")(previous)
x = layers.Add()([x, residual])
model = keras.Model(inputs, x)
""",
    "layer_normalization_flags": """
inputs = keras.Input(shape=(16, 24))
x = layers.LayerNormalization()(inputs)
x = layers.LayerNormalization(center=False)(x)
x = layers.BatchNormalization(scale=False)(x)
x = layers.Dense(8)(x)
model = keras.Model(inputs, x)
""",
    "reshape_minus_one": """
inputs = keras.Input(shape=(6, 4))
x = layers.Reshape((-1,))(inputs)
x = layers.Reshape((3, -1))(x)
x = layers.Reshape((2, 2, 6))(x)
model = keras.Model(inputs, layers.Flatten()(x))
""",
    "embedding_flatten_keras1": """
model = keras.Sequential([
    keras.Input(shape=(100,)),
    layers.Embedding(input_dim=1000, output_dim=16),
    layers.Flatten(),
    layers.Dense(1, activation="sigmoid"),
])
""",
    "add_chain_sequential": """
model = keras.Sequential()
model.add(keras.Input(shape=(64, 64, 3)))
model.add(layers.Rescaling(scale=1.0 / 127.5, offset=-1))
model.add(layers.Conv2D(16, 3, activation="relu"))
model.add(layers.MaxPooling2D())
model.add(layers.Conv2D(32, 3, activation="relu"))
model.add(layers.GlobalMaxPooling2D())
model.add(layers.Dense(5, activation="softmax"))
""",
    "dropout_variants": """
inputs = keras.Input(shape=(40, 10))
x = layers.SpatialDropout1D(0.2)(inputs)
x = layers.GaussianNoise(0.1)(x)
x = layers.Conv1D(20, 5)(x)
x = layers.ReLU()(x)
x = layers.GlobalAveragePooling1D(keepdims=True)(x)
model = keras.Model(inputs, x)
""",
    "timeseries_conv_gru": """
WINDOW = 72
FEATURES = 5
inputs = keras.Input(shape=(WINDOW, FEATURES))
x = layers.Conv1D(32, 5, activation="relu", padding="same")(inputs)
x = layers.MaxPooling1D(2)(x)
x = layers.GRU(48, return_sequences=True)(x)
x = layers.LSTM(24, use_bias=False)(x)
model = keras.Model(inputs, layers.Dense(3)(x))
""",
    "normalization_heads": """
inputs = keras.Input(shape=(12,))
x = layers.Normalization()(inputs)
x = layers.Dense(4, activation="relu")(x)
x = layers.Normalization(axis=None)(x)
x = layers.Normalization(mean=0.0, variance=1.0)(x)
outputs = layers.Normalization(invert=True)(layers.Dense(1)(x))
model = keras.Model(inputs, outputs)
""",
    "pool_strides_none_and_valid": """
inputs = keras.Input(shape=(23, 23, 2))
x = layers.MaxPooling2D(pool_size=3, strides=None)(inputs)
x = layers.AveragePooling2D(pool_size=2, strides=1)(x)
x = layers.MaxPooling2D(pool_size=(2, 3), padding="same")(x)
model = keras.Model(inputs, x)
""",
}


def _kgen_layers(source: str):
    facts = extract(cst.parse_module(source))
    results = [r for r in infer(facts.models[-1]) if r.kind != "InputLayer"]
    return sorted(((r.kind, r.shape, r.params) for r in results), key=repr)


def _keras_layers(keras, model):
    found = []
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        shape = tuple(layer.output.shape)[1:]
        found.append((type(layer).__name__, shape, layer.count_params()))
    return sorted(found, key=repr)


def test_parity_covers_enough_models():
    assert len(MODELS) >= 30


def test_shapes_and_parameters_match_keras():
    keras = pytest.importorskip("keras")
    mismatches = []
    for name, body in MODELS.items():
        source = HEADER + body
        namespace: dict = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # input_shape= is deprecated: tested on purpose
            exec(compile(source, name, "exec"), namespace)  # noqa: S102 (our own test models)
        model = namespace["model"]
        ours = _kgen_layers(source)
        assert all(UNKNOWN not in (shape or (UNKNOWN,)) for _, shape, _ in ours), (name, ours)
        theirs = _keras_layers(keras, model)
        assert len(ours) >= 2, name
        total = sum(params for _, _, params in ours)
        if total != model.count_params():
            mismatches.append((name, "total", total, model.count_params()))
        if ours != theirs:
            mismatches.append(
                (name, [x for x in ours if x not in theirs], [x for x in theirs if x not in ours])
            )
    assert not mismatches, "\n".join(map(str, mismatches))
