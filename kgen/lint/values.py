"""The abstract values the model extraction computes: constants, Keras objects, tensors
(graph nodes), models, and what one module says about them (`Facts`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import libcst as cst

from kgen.lint.resolve import Scope


class _Default:
    """An argument the call does not pass: the layer's default applies."""

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT = _Default()


@dataclass(frozen=True)
class Const:
    value: object  # str, bytes, int, float, bool or None


@dataclass(eq=False)
class Seq:
    items: list  # of values


@dataclass(eq=False)
class Mapping:
    items: list  # of (key value, value) pairs


# Where each parameter the rules read sits when passed positionally, per layer class.
_CONV = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate")
_POOL = ("pool_size", "strides", "padding", "data_format")
_RNN = ("units", "activation", "recurrent_activation", "use_bias")
_POSITIONAL = {
    "Dense": ("units", "activation", "use_bias"),
    "Activation": ("activation",),
    "Embedding": ("input_dim", "output_dim"),
    **{f"Conv{n}D": (*_CONV, "groups", "activation", "use_bias") for n in (1, 2, 3)},
    **{f"Convolution{n}D": (*_CONV, "groups", "activation", "use_bias") for n in (1, 2, 3)},
    **{f"SeparableConv{n}D": (*_CONV, "depth_multiplier", "activation", "use_bias") for n in (1, 2)},
    "Conv1DTranspose": (*_CONV[:4], "output_padding", "data_format", "dilation_rate"),
    "Conv2DTranspose": (*_CONV[:4], "output_padding", "data_format", "dilation_rate"),
    "Conv3DTranspose": (*_CONV[:4], "data_format", "output_padding", "dilation_rate"),
    **{f"DepthwiseConv{n}D": ("kernel_size", "strides", "padding", "depth_multiplier") for n in (1, 2)},
    **{f"{kind}Pooling{n}D": _POOL for kind in ("Max", "Average") for n in (1, 2, 3)},
    **{f"Global{kind}Pooling{n}D": ("data_format", "keepdims") for kind in ("Max", "Average") for n in (1, 2, 3)},
    "Flatten": ("data_format",),
    "Reshape": ("target_shape",),
    "Dropout": ("rate",),
    "SimpleRNN": ("units", "activation", "use_bias"),
    "GRU": _RNN,
    "LSTM": _RNN,
    "RNN": ("cell",),
    "CuDNNGRU": ("units",),
    "CuDNNLSTM": ("units",),
    "ConvLSTM1D": ("filters", "kernel_size"),
    "ConvLSTM2D": ("filters", "kernel_size"),
    "ConvLSTM3D": ("filters", "kernel_size"),
    "Bidirectional": ("layer", "merge_mode", "weights", "backward_layer"),
    "TimeDistributed": ("layer",),
    "Concatenate": ("axis",),
    "BatchNormalization": ("axis", "momentum", "epsilon", "center", "scale"),
    "LayerNormalization": ("axis", "epsilon", "center", "scale"),
    "GroupNormalization": ("groups", "axis", "epsilon", "center", "scale"),
    "Rescaling": ("scale", "offset"),
    "Normalization": ("axis", "mean", "variance", "invert"),
}  # fmt: skip
_CROSSENTROPY_POSITIONAL = ("from_logits",)


@dataclass(eq=False)
class Instance:
    """An object built by calling a Keras class: a layer, a loss, an optimizer..."""

    qualname: str
    call: cst.Call
    args: list
    kwargs: dict
    starred: bool  # *args/**kwargs were passed: any parameter not seen may be set

    @property
    def kind(self) -> str:
        """The layer class name (`Dense`) for layers; "" for anything else."""
        if self.qualname.startswith("keras.layers."):
            return self.qualname.rpartition(".")[2]
        return ""

    @property
    def wrapped(self) -> Instance | None:
        """The layer inside a `Bidirectional`/`TimeDistributed` wrapper."""
        if self.kind in ("Bidirectional", "TimeDistributed"):
            inner = self.param("layer")
            return inner if isinstance(inner, Instance) else None
        return None

    def param(self, name: str):
        """The value passed for `name`; DEFAULT when surely not passed; None when unknown."""
        if name in self.kwargs:
            return self.kwargs[name]
        names = _POSITIONAL.get(self.kind, ())
        if self.qualname.startswith("keras.losses.") and "Crossentropy" in self.qualname:
            names = _CROSSENTROPY_POSITIONAL
        if name in names and names.index(name) < len(self.args):
            return self.args[names.index(name)]
        if self.starred or len(self.args) > len(names):
            return None
        return DEFAULT


@dataclass(eq=False)
class Node:
    """A tensor: the output of an `Input`, a layer call, a nested model, or an unknown operation."""

    kind: str  # "input" | "layer" | "model" | "opaque"
    expr: cst.CSTNode | None  # where it is built (the layer's constructor call for layers)
    inputs: tuple = ()
    layer: Instance | None = None
    model: Model | None = None
    shape: object = None  # for inputs: the `shape=` value
    site: cst.Call | None = None  # the call that applied the layer or model, when there is one
    used: bool = False  # read by name, passed to a call, or stored: something consumes it


@dataclass(eq=False)
class Compile:
    call: cst.Call
    loss: object  # the `loss=` value
    optimizer: object = DEFAULT
    metrics: object = DEFAULT


@dataclass(eq=False)
class Result:
    """What a call to a named non-Keras-class function returned (`keras.utils.to_categorical`,
    `sklearn.preprocessing.StandardScaler`, a method of such a value: `...StandardScaler.fit`)."""

    qualname: str
    call: cst.Call
    args: list
    kwargs: dict


@dataclass(eq=False)
class Item:
    """The `index`-th element of an unpacked value: `(x_train, y_train), ... = load_data()`."""

    of: object  # a Result or another Item
    index: int


@dataclass(eq=False)
class CallSite:
    """Every call the walk evaluated, with its callee as far as it is known."""

    node: cst.Call
    func: object  # the callee's value (a Ref, an Instance, a Model...) or None
    receiver: object  # for `obj.method(...)`: obj's value (None when unknown or not a method)
    method: str | None  # the attribute name for `obj.method(...)` calls
    args: list
    kwargs: dict
    starred: bool
    scope: Scope  # where the call is made (one per function run; the module's at top level)


@dataclass(eq=False)
class Model:
    kind: str  # "sequential" | "functional" | "application"
    call: cst.Call
    inputs: list = field(default_factory=list)
    outputs: list = field(default_factory=list)  # of (output name or None, Node or None)
    compiles: list = field(default_factory=list)

    def add(self, item) -> None:
        """Append a layer to a Sequential model (from its constructor list or `.add()`)."""
        if not self.outputs:
            if isinstance(item, Node) and item.kind == "input":
                self.inputs, self.outputs = [item], [(None, item)]
                return
            shape = item.param("input_shape") if isinstance(item, Instance) else None
            start = Node("input", None, shape=None if shape is DEFAULT else shape)
            self.inputs, self.outputs = [start], [(None, start)]
        last = self.outputs[0][1]
        if isinstance(item, Instance) and item.kind:
            node = Node("layer", item.call, (last,), layer=item)
        elif isinstance(item, Model):
            node = Node("model", item.call, (last,), model=item)
        else:
            node = Node("opaque", None, (last,))
        self.outputs = [(layer_name(node), node)]

    def nodes(self) -> list[Node]:
        """Every node the outputs depend on, inputs before the layers that consume them."""
        order: list[Node] = []
        seen: set[int] = set()
        stack = [(node, False) for _, node in reversed(self.outputs) if node is not None]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            stack.extend(
                (parent, False) for parent in reversed(node.inputs) if id(parent) not in seen
            )
        return order

    def consumers(self) -> dict[int, list[Node]]:
        """id(node) -> the nodes that take it as input."""
        result: dict[int, list[Node]] = {}
        for node in self.nodes():
            for parent in node.inputs:
                result.setdefault(id(parent), []).append(node)
        return result

    @property
    def uses_application(self) -> bool:
        """Whether a pretrained `keras.applications` model is part of this one."""
        return any(n.kind == "model" and n.model.kind == "application" for n in self.nodes())


def layer_name(node: Node | None) -> str | None:
    """The `name=` a layer was given: the key Keras uses for the output it produces."""
    if node is not None and node.layer is not None:
        name = node.layer.param("name")
        if isinstance(name, Const) and isinstance(name.value, str):
            return name.value
    return None


@dataclass(eq=False)
class Function:
    node: cst.FunctionDef
    scope: Scope  # where it is defined
    analyzed: bool = False
    result: object = None


@dataclass
class Facts:
    """What one module says about Keras models, for the rules to check."""

    module: cst.Module
    scope: Scope  # the module scope, as it stands at the end of the module
    models: list[Model]
    instances: list[Instance] = field(default_factory=list)  # every Keras object built
    calls: list[CallSite] = field(default_factory=list)  # every call evaluated, in walk order
    tensors: list[Node] = field(default_factory=list)  # every layer/model applied by a call
    # `obj.name` read on a layer, tensor or model: (the attribute node, obj's value)
    attributes: list[tuple[cst.Attribute, object]] = field(default_factory=list)


def tensors(values) -> Iterator[Node]:
    for value in values:
        if isinstance(value, Node):
            yield value
        elif isinstance(value, Seq):
            yield from tensors(value.items)
        elif isinstance(value, Mapping):
            yield from tensors(v for _, v in value.items)


def is_keras(qualname: str, *names: str) -> bool:
    return qualname.startswith("keras.") and qualname.rpartition(".")[2] in names


def is_layer_class(qualname: str) -> bool:
    name = qualname.rpartition(".")[2]
    return (
        qualname.startswith("keras.layers.")
        and name[:1].isupper()
        and name not in ("Input", "InputLayer")
    )


@dataclass(eq=False)
class Bound:
    """`obj.name` where obj is a model/layer/tensor: a method about to be called."""

    owner: object
    name: str


def mark_used(values) -> None:
    for tensor in tensors(values):
        tensor.used = True
