"""Static shape inference: each layer's output shape and parameter count, from the source.

Shapes are tuples without the batch axis. A dimension is an int, `None` where Keras itself
has `None` (a variable length), or `UNKNOWN` where the source does not say (a parameter, a
shape read from the data). A whole shape is `None` when even its rank is not known. Layers
this module does not model give an unknown shape, and so does everything after them: unknown
stays unknown, never a guess. Nothing here imports Keras or TensorFlow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kgen.lint.models import DEFAULT, Const, Instance, Model, Node, Seq


class _Unknown:
    def __repr__(self) -> str:
        return "?"


UNKNOWN = _Unknown()


@dataclass
class LayerShape:
    node: Node
    kind: str  # the layer class ("InputLayer" for inputs, "Model" for nested models)
    shape: tuple | None  # output shape without the batch axis; None when unknown
    params: int | None = 0  # None when unknown
    non_trainable: int | None = 0
    problem: str | None = None  # why Keras would refuse to build this layer


class _Problem(Exception):
    """Raised inside a layer's inference: Keras would reject the layer with these shapes."""


# Layers that keep their input's shape and have no weights.
_IDENTITY = frozenset(
    {
        "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout",
        "GaussianNoise", "AlphaDropout", "ActivityRegularization", "Activation", "ReLU",
        "LeakyReLU", "ELU", "Softmax", "Rescaling", "Masking", "Identity", "RandomFlip",
        "RandomRotation", "RandomZoom", "RandomContrast",
    }
)  # fmt: skip
_MERGE = frozenset({"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"})


def _known(*dims) -> bool:
    return all(type(d) is int for d in dims)


def _dim(function, *dims):
    """`function` of the dims when all are known; UNKNOWN if any is; else None (variable)."""
    if any(d is UNKNOWN for d in dims):
        return UNKNOWN
    if any(d is None for d in dims):
        return None
    return function(*dims)


def _int(value, default=UNKNOWN):
    if value is DEFAULT:
        return default
    if isinstance(value, Const) and type(value.value) is int:
        return value.value
    return UNKNOWN


def _ints(value, rank: int, default: int | None = None) -> tuple | None:
    """An int-or-tuple argument (`kernel_size=3`, `strides=(2, 2)`) as `rank` positive ints;
    None when unknown (or nonsense, which Keras itself will reject)."""
    if value is DEFAULT or value == Const(None):
        return (default,) * rank if default is not None else None
    if isinstance(value, Const) and type(value.value) is int:
        items = (value.value,) * rank
    elif isinstance(value, Seq) and len(value.items) == rank:
        items = tuple(_int(item) for item in value.items)
    else:
        return None
    return items if _known(*items) and min(items) > 0 else None


def _string(value, default: str) -> str | None:
    if value is DEFAULT:
        return default
    if isinstance(value, Const) and isinstance(value.value, str):
        return value.value.lower()
    return None


def _flag(value, default: bool) -> bool | None:
    if value is DEFAULT:
        return default
    if isinstance(value, Const) and isinstance(value.value, bool):
        return value.value
    return None


def _input_shape(value) -> tuple | None:
    if isinstance(value, Const) and type(value.value) is int:
        return (value.value,)
    if not isinstance(value, Seq):
        return None
    return tuple(
        None if item == Const(None) else _int(item) if isinstance(item, Const) else UNKNOWN
        for item in value.items
    )


def _shape_text(shape) -> str:
    return "(" + ", ".join(["None", *(repr(d) if d is not None else "None" for d in shape)]) + ")"


def _require_rank(kind: str, shape: tuple, rank: int, what: str) -> None:
    if len(shape) != rank:
        raise _Problem(
            f"{kind} expects a rank-{rank + 1} input {what}, "
            f"got rank {len(shape) + 1} {_shape_text(shape)}"
        )


def _checked(kind: str, sizes: list, shape: tuple, detail: str) -> tuple:
    for size in sizes:
        if type(size) is int and size <= 0:
            raise _Problem(
                f"{kind} on input {_shape_text(shape)} gives a non-positive dimension ({detail})"
            )
    return tuple(sizes)


# --- layers ------------------------------------------------------------------------------------


def _rank_of(kind: str) -> int:
    return int(next(c for c in kind if c.isdigit()))


def _conv(layer: Instance, kind: str, shape: tuple):
    rank = _rank_of(kind)
    _require_rank(kind, shape, rank + 1, "(batch, *spatial, channels)")
    if _string(layer.param("data_format"), "channels_last") != "channels_last":
        return None, None
    depthwise = kind.startswith("Depthwise")
    filters = None if depthwise else _int(layer.param("filters"))
    kernel = _ints(layer.param("kernel_size"), rank)
    strides = _ints(layer.param("strides"), rank, 1)
    dilation = _ints(layer.param("dilation_rate"), rank, 1)
    padding = _string(layer.param("padding"), "valid")
    use_bias = _flag(layer.param("use_bias"), True)
    transpose = kind.endswith("Transpose")
    if kernel is None or strides is None or dilation is None or padding is None:
        return None, None
    if transpose and layer.param("output_padding") not in (DEFAULT, Const(None)):
        return None, None
    sizes = []
    for n, k, s, d in zip(shape[:-1], kernel, strides, dilation):
        span = d * (k - 1) + 1
        if transpose:
            sizes.append(_dim(lambda n, s=s, span=span: n * s + max(span - s, 0), n)
                         if padding == "valid" else _dim(lambda n, s=s: n * s, n))  # fmt: skip
        elif padding == "valid":
            sizes.append(_dim(lambda n, s=s, span=span: (n - span) // s + 1, n))
        else:  # same, causal
            sizes.append(_dim(lambda n, s=s: -(-n // s), n))
    channels = shape[-1]
    taps = math.prod(kernel)
    if depthwise:
        multiplier = _int(layer.param("depth_multiplier"), 1)
        out = _dim(lambda c, m: c * m, channels, multiplier)
        params = _dim(lambda c, m: taps * c * m + (c * m if use_bias else 0), channels, multiplier)
    elif kind.startswith("Separable"):
        multiplier = _int(layer.param("depth_multiplier"), 1)
        out = filters
        params = _dim(
            lambda c, m, f: taps * c * m + c * m * f + (f if use_bias else 0),
            channels,
            multiplier,
            filters,
        )
    else:
        groups = 1 if transpose else _int(layer.param("groups"), 1)
        out = filters
        params = _dim(
            lambda c, f, g: taps * (c // g) * f + (f if use_bias else 0), channels, filters, groups
        )
    if use_bias is None:
        params = UNKNOWN
    detail = f"kernel {kernel}, strides {strides}, padding {padding!r}"
    return _checked(kind, [*sizes, out], shape, detail), params


def _pool(layer: Instance, kind: str, shape: tuple):
    rank = _rank_of(kind)
    _require_rank(kind, shape, rank + 1, "(batch, *spatial, channels)")
    if _string(layer.param("data_format"), "channels_last") != "channels_last":
        return None, 0
    # Keras 3: MaxPooling defaults to 2; AveragePooling has no default (a TypeError).
    pool = _ints(layer.param("pool_size"), rank, 2 if kind.startswith("Max") else None)
    strides = _ints(layer.param("strides"), rank) if layer.param("strides") not in (
        DEFAULT, Const(None)) else pool  # fmt: skip
    padding = _string(layer.param("padding"), "valid")
    if pool is None or strides is None or padding is None:
        return None, 0
    sizes = [
        (
            _dim(lambda n, p=p, s=s: (n - p) // s + 1, n)
            if padding == "valid"
            else _dim(lambda n, s=s: (n - 1) // s + 1, n)
        )
        for n, p, s in zip(shape[:-1], pool, strides)
    ]
    detail = f"pool {pool}, strides {strides}, padding {padding!r}"
    return _checked(kind, [*sizes, shape[-1]], shape, detail), 0


def _global_pool(layer: Instance, kind: str, shape: tuple):
    rank = _rank_of(kind)
    _require_rank(kind, shape, rank + 1, "(batch, *spatial, channels)")
    if _string(layer.param("data_format"), "channels_last") != "channels_last":
        return None, 0
    keepdims = _flag(layer.param("keepdims"), False)
    if keepdims is None:
        return None, 0
    return ((1,) * rank + (shape[-1],) if keepdims else (shape[-1],)), 0


def _reshape(layer: Instance, shape: tuple):
    target = layer.param("target_shape")
    if not isinstance(target, Seq):
        return None, 0
    dims = [_int(item) for item in target.items]
    if not _known(*dims) or dims.count(-1) > 1:
        return None, 0
    total = math.prod(shape) if _known(*shape) else None
    if -1 in dims:
        rest = math.prod(d for d in dims if d != -1)
        if total is None:
            return tuple(None if d == -1 else d for d in dims), 0
        if rest <= 0 or total % rest:
            raise _Problem(f"Reshape cannot fit {total} values into {tuple(dims)}")
        return tuple(total // rest if d == -1 else d for d in dims), 0
    if total is not None and total != math.prod(dims):
        raise _Problem(
            f"Reshape to {tuple(dims)} ({math.prod(dims)} values) of an input with {total} values"
        )
    return tuple(dims), 0


def _rnn(layer: Instance, kind: str, shape: tuple):
    _require_rank(kind, shape, 2, "(batch, timesteps, features)")
    if _flag(layer.param("return_state"), False) is not False:
        return None, None
    units = _int(layer.param("units"))
    sequences = _flag(layer.param("return_sequences"), False)
    use_bias = _flag(layer.param("use_bias"), True)
    if sequences is None or use_bias is None:
        return None, None
    features = shape[1]
    if kind == "SimpleRNN":
        gates, biases = 1, 1
    elif kind == "LSTM":
        gates, biases = 4, 1
    else:  # GRU: Keras 3 defaults to reset_after=True, with separate input and recurrent biases
        reset_after = _flag(layer.param("reset_after"), True)
        if reset_after is None:
            return None, None
        gates, biases = 3, 2 if reset_after else 1
    params = _dim(
        lambda f, u: gates * (f * u + u * u + (biases * u if use_bias else 0)), features, units
    )
    return ((shape[0], units) if sequences else (units,)), params


def _merge_concat(layer: Instance, shapes: list[tuple]):
    axis = _int(layer.param("axis"), -1)
    if axis is UNKNOWN or len({len(s) for s in shapes}) != 1:
        if len({len(s) for s in shapes}) > 1:
            raise _Problem(
                "Concatenate of inputs with different ranks: "
                + ", ".join(_shape_text(s) for s in shapes)
            )
        return None, 0
    rank = len(shapes[0])
    index = axis - 1 if axis > 0 else rank + axis
    if not 0 <= index < rank:
        return None, 0
    out = []
    for position in range(rank):
        dims = [s[position] for s in shapes]
        if position == index:
            out.append(_dim(lambda *d: sum(d), *dims))
            continue
        known = {d for d in dims if type(d) is int}
        if len(known) > 1:
            raise _Problem(
                f"Concatenate(axis={axis}) of incompatible shapes: "
                + ", ".join(_shape_text(s) for s in shapes)
            )
        if _known(*dims):
            out.append(dims[0])
        else:
            out.append(None if all(d is None for d in dims) else UNKNOWN)
    return tuple(out), 0


def _merge_elementwise(kind: str, shapes: list[tuple]):
    if len({len(s) for s in shapes}) != 1:
        return None, 0
    out = []
    for dims in zip(*shapes):
        known = {d for d in dims if type(d) is int}
        if len(known - {1}) > 1:
            raise _Problem(
                f"{kind} of incompatible shapes: " + ", ".join(_shape_text(s) for s in shapes)
            )
        if _known(*dims):
            out.append(max(known))
        elif all(d is None for d in dims):
            out.append(None)
        else:
            out.append(UNKNOWN)
    return tuple(out), 0


def _normalization(layer: Instance, kind: str, shape: tuple):
    axis = _int(layer.param("axis"), -1)
    if axis != -1 or not shape:
        return shape, None
    channels = shape[-1]
    if kind == "BatchNormalization":
        center = _flag(layer.param("center"), True)
        scale = _flag(layer.param("scale"), True)
        if center is None or scale is None:
            return shape, None
        trainable = _dim(lambda c: c * (int(center) + int(scale)), channels)
        return shape, (trainable, _dim(lambda c: 2 * c, channels))
    if layer.param("rms_scaling") not in (DEFAULT, Const(False)):
        return shape, None
    center = _flag(layer.param("center"), True)
    scale = _flag(layer.param("scale"), True)
    if center is None or scale is None:
        return shape, None
    return shape, _dim(lambda c: c * (int(center) + int(scale)), channels)


def layer_output(layer: Instance, shapes: list[tuple]):
    """(output shape, params) of a layer applied to inputs of these shapes; params is an int,
    a (trainable, non-trainable) pair, UNKNOWN or None. Raises _Problem where Keras would."""
    kind = layer.kind
    if kind in _MERGE:
        return _merge_elementwise(kind, shapes)
    if kind == "Concatenate":
        return _merge_concat(layer, shapes)
    if len(shapes) != 1:
        return None, None
    shape = shapes[0]
    if kind in _IDENTITY:
        return shape, 0
    if kind == "Dense":
        if not shape:
            raise _Problem("Dense expects an input of rank 2 or more, got rank 1")
        units = _int(layer.param("units"))
        use_bias = _flag(layer.param("use_bias"), True)
        params = _dim(lambda i, u: i * u + (u if use_bias else 0), shape[-1], units)
        return (*shape[:-1], units), params if use_bias is not None else UNKNOWN
    if (
        kind.startswith(("Conv", "SeparableConv", "DepthwiseConv"))
        and kind[-1] == "D"
        or (kind.endswith("DTranspose"))
    ):
        if kind.startswith("ConvLSTM"):
            return None, None
        return _conv(layer, kind.replace("Convolution", "Conv"), shape)
    if kind in {f"{p}Pooling{n}D" for p in ("Max", "Average") for n in (1, 2, 3)}:
        return _pool(layer, kind, shape)
    if kind in {f"Global{p}Pooling{n}D" for p in ("Max", "Average") for n in (1, 2, 3)}:
        return _global_pool(layer, kind, shape)
    if kind == "Flatten":
        if not shape:
            return shape, 0
        return (_dim(lambda *d: math.prod(d), *shape),), 0
    if kind == "Reshape":
        return _reshape(layer, shape)
    if kind == "Embedding":
        vocabulary = _int(layer.param("input_dim"))
        width = _int(layer.param("output_dim"))
        return (*shape, width), _dim(lambda v, w: v * w, vocabulary, width)
    if kind in ("SimpleRNN", "GRU", "LSTM"):
        return _rnn(layer, kind, shape)
    if kind in ("BatchNormalization", "LayerNormalization", "GroupNormalization"):
        return _normalization(layer, kind, shape)
    if kind == "Normalization":  # adapt() statistics: mean, variance, count (non-trainable)
        if layer.param("mean") not in (DEFAULT, Const(None)):
            return shape, 0
        axis = layer.param("axis")
        if axis == Const(None):
            return shape, (0, 3)
        if axis not in (DEFAULT, Const(-1)) or not shape:
            return shape, None
        return shape, (0, _dim(lambda c: 2 * c + 1, shape[-1]))
    if kind == "Bidirectional":
        return _bidirectional(layer, shape)
    if kind == "TimeDistributed":
        inner = layer.wrapped
        if inner is None or len(shape) < 2:
            return None, None
        out, params = layer_output(inner, [shape[1:]])
        return (None if out is None else (shape[0], *out)), params
    return None, None


def _bidirectional(layer: Instance, shape: tuple):
    inner = layer.wrapped
    if inner is None or inner.kind not in ("SimpleRNN", "GRU", "LSTM"):
        return None, None
    if layer.param("backward_layer") not in (DEFAULT, Const(None)):
        return None, None
    out, params = _rnn(inner, inner.kind, shape)
    mode = _string(layer.param("merge_mode"), "concat")
    if out is None or mode not in ("concat", "sum", "mul", "ave"):
        return None, None
    if mode == "concat":
        out = (*out[:-1], _dim(lambda u: 2 * u, out[-1]))
    return out, _dim(lambda p: 2 * p, params) if params is not None else None


# --- models ------------------------------------------------------------------------------------


def infer(model: Model) -> list[LayerShape]:
    """Every layer of a model in graph order, with its output shape, weights and problem."""
    results: dict[int, LayerShape] = {}
    order = []
    for node in model.nodes():
        result = _infer_node(node, [results.get(id(parent)) for parent in node.inputs])
        results[id(node)] = result
        order.append(result)
    return order


def _infer_node(node: Node, parents: list[LayerShape | None]) -> LayerShape:
    if node.kind == "input":
        return LayerShape(node, "InputLayer", _input_shape(node.shape))
    if node.kind == "model":
        return LayerShape(node, "Model", None, None, None)
    if node.kind != "layer":
        return LayerShape(node, "?", None, None, None)
    kind = node.layer.kind
    shapes = [parent.shape if parent is not None else None for parent in parents]
    if not shapes or any(shape is None for shape in shapes):
        return LayerShape(node, kind, None, _weights_without_input(node.layer), None)
    try:
        shape, params = layer_output(node.layer, shapes)
    except _Problem as problem:
        return LayerShape(node, kind, None, None, None, str(problem))
    except (ArithmeticError, ValueError, TypeError, IndexError, StopIteration):
        # Nonsense arguments (strides=0, a negative kernel): Keras will say; we stay unknown.
        return LayerShape(node, kind, None, None, None)
    trainable_and_not = params if isinstance(params, tuple) else None
    if trainable_and_not is not None:
        trainable, frozen = trainable_and_not
        total = _dim(lambda a, b: a + b, trainable, frozen)
        return LayerShape(node, kind, shape, _count(total), _count(frozen))
    count = _count(params)
    return LayerShape(node, kind, shape, count, 0 if count is not None else None)


def _count(value) -> int | None:
    return value if type(value) is int else None


def _weights_without_input(layer: Instance) -> int | None:
    """Layers whose weights do not depend on the input shape: known even when it is not."""
    if layer.kind in _IDENTITY or layer.kind in ("Flatten", "Reshape", "Concatenate", *_MERGE):
        return 0
    if layer.kind == "Embedding":
        return _count(_dim(lambda v, w: v * w, _int(layer.param("input_dim")),
                           _int(layer.param("output_dim"))))  # fmt: skip
    if layer.kind.startswith(("MaxPooling", "AveragePooling", "GlobalMax", "GlobalAverage")):
        return 0
    return None
