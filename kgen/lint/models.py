"""Keras models as graphs of layer calls, extracted statically from a libcst module.

One walk over the statements evaluates each expression once into a small abstract value:
constants, references to Keras names, layer instances, tensors (graph nodes) and models.
Anything the walk cannot know is `None`, and rules stay silent on it: a missed bug costs less
trust than a false alarm. Branches (`if`/`try`/loops) are evaluated on copies of the scope and
merged, so a name bound differently on two paths becomes unknown instead of a wrong guess.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields

import libcst as cst

from kgen.lint.resolve import Ref, Scope, usual_keras_scope


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


def _tensors(values) -> Iterator[Node]:
    for value in values:
        if isinstance(value, Node):
            yield value
        elif isinstance(value, Seq):
            yield from _tensors(value.items)
        elif isinstance(value, Mapping):
            yield from _tensors(v for _, v in value.items)


def _is_keras(qualname: str, *names: str) -> bool:
    return qualname.startswith("keras.") and qualname.rpartition(".")[2] in names


def _is_layer_class(qualname: str) -> bool:
    name = qualname.rpartition(".")[2]
    return (
        qualname.startswith("keras.layers.")
        and name[:1].isupper()
        and name not in ("Input", "InputLayer")
    )


class _Extractor:
    def __init__(self) -> None:
        self.models: list[Model] = []
        self.functions: list[Function] = []
        self.instances: list[Instance] = []
        self.calls: list[CallSite] = []
        self.tensors: list[Node] = []
        self.attributes: list[tuple[cst.Attribute, object]] = []

    # --- statements -------------------------------------------------------------------------

    def block(self, statements, scope: Scope) -> None:
        for statement in statements:
            self.statement(statement, scope)

    def statement(self, node, scope: Scope) -> None:
        kind = type(node)
        if kind is cst.SimpleStatementLine:
            for small in node.body:
                self.small_statement(small, scope)
        elif kind is cst.FunctionDef:
            function = Function(node, scope)
            self.functions.append(function)
            scope.names[node.name.value] = function
        elif kind is cst.ClassDef:
            # Subclassed models are out of reach; their methods are still walked at the end.
            scope.names[node.name.value] = None
            for item in node.body.body:
                if isinstance(item, cst.FunctionDef):
                    self.functions.append(Function(item, scope))
        elif kind is cst.If:
            self.evaluate(node.test, scope)
            bodies = [node.body.body, *self._else_bodies(node.orelse)]
            self.branches(scope, bodies, exhaustive=node.orelse is not None)
        elif kind is cst.For:
            self.evaluate(node.iter, scope)
            self.bind_target(node.target, scope)
            literal = isinstance(node.iter, (cst.List, cst.Tuple)) and node.iter.elements
            if literal and node.orelse is None:
                # A loop over a non-empty literal runs: its body's effects are certain.
                self.block(node.body.body, scope)
                self.bind_target(node.target, scope)
            else:
                self.branches(scope, [node.body.body], exhaustive=False)
        elif kind is cst.While:
            self.evaluate(node.test, scope)
            self.branches(scope, [node.body.body], exhaustive=False)
        elif kind is cst.With:
            for item in node.items:
                self.evaluate(item.item, scope)
                if item.asname is not None:
                    self.bind_target(item.asname.name, scope)
            self.block(node.body.body, scope)
        elif kind is cst.Try:
            # Execution goes on after the body or after a handler: one of them ran.
            body = [*node.body.body, *(node.orelse.body.body if node.orelse else ())]
            bodies = [body, *(handler.body.body for handler in node.handlers)]
            self.branches(scope, bodies, exhaustive=True)
            if node.finalbody is not None:
                self.block(node.finalbody.body.body, scope)
        elif kind is cst.Match:
            self.branches(scope, [case.body.body for case in node.cases], exhaustive=False)
        elif isinstance(node, cst.BaseSmallStatement):  # a one-line body: `if x: y = 1`
            self.small_statement(node, scope)

    @staticmethod
    def _else_bodies(orelse) -> list:
        if orelse is None:
            return []
        if isinstance(orelse, cst.If):
            return [[orelse]]
        return [orelse.body.body]

    def branches(self, scope: Scope, bodies: list, exhaustive: bool) -> None:
        """Walk alternative bodies on copies of the scope; names that differ become unknown.

        Sequential models grown with `.add()` inside a branch get the same treatment: each
        branch starts from the model as it was, and where the branches end differently the
        model continues from an unknown step joining them (never from one branch's layers
        followed by the other's)."""
        before = dict(scope.names)
        grown_before = {id(m): m.outputs for m in self.models}
        outcomes, grown = [], []
        for body in bodies:
            scope.names = dict(before)
            self.block(body, scope)
            outcomes.append(scope.names)
            grown.append({})
            for model in self.models:
                if id(model) in grown_before:
                    grown[-1][id(model)] = model.outputs
                    model.outputs = grown_before[id(model)]
        if not exhaustive:
            outcomes.append(before)
            grown.append(grown_before)

        merged = dict(outcomes[0])
        for outcome in outcomes[1:]:
            for name in merged.keys() | outcome.keys():
                a, b = merged.get(name, _MISSING), outcome.get(name, _MISSING)
                if a is not b and not (isinstance(a, Const) and a == b):
                    merged[name] = None
                    _mark_used([a, b])  # what a branch bound may be consumed after it
        scope.names = merged

        for model in self.models:
            if id(model) not in grown_before:
                continue
            variants = [outcome[id(model)] for outcome in grown]
            if all(variant is variants[0] for variant in variants):
                model.outputs = variants[0]
            else:
                ends = {id(n): n for v in variants for _, n in v if n is not None}
                model.outputs = [(None, Node("opaque", None, tuple(ends.values())))]

    def small_statement(self, node, scope: Scope) -> None:
        kind = type(node)
        if kind is cst.Assign:
            value = self.evaluate(node.value, scope)
            for target in node.targets:
                self.bind_target(target.target, scope, value)
        elif kind is cst.AnnAssign:
            if node.value is not None:
                self.bind_target(node.target, scope, self.evaluate(node.value, scope))
        elif kind is cst.AugAssign:
            # `x += residual` reads x as well: both tensors flow into the new value.
            value = self.opaque(
                [self.evaluate(node.target, scope), self.evaluate(node.value, scope)], node
            )
            self.bind_target(node.target, scope, value)
        elif kind is cst.Expr:
            self.evaluate(node.value, scope)
        elif kind is cst.Return:
            if node.value is not None:
                scope.names[_RETURN] = self.evaluate(node.value, scope)
        elif kind is cst.Import or kind is cst.ImportFrom:
            scope.bind_import(node)

    def bind_target(self, target, scope: Scope, value=None) -> None:
        if isinstance(target, cst.Name):
            scope.names[target.value] = value
        elif isinstance(target, (cst.Tuple, cst.List)):
            items = value.items if isinstance(value, Seq) else None
            if items is not None and len(items) != len(target.elements):
                items = None
            starred = any(isinstance(e.value, cst.StarredElement) for e in target.elements)
            for index, element in enumerate(target.elements):
                if items:
                    item = items[index]
                elif isinstance(value, (Result, Item)) and not starred:
                    item = Item(value, index)
                elif isinstance(value, Node):
                    # `x, state = layers.GRU(64, return_state=True)(inputs)`: each part is
                    # computed from the layer's output, which is consumed by the unpacking.
                    value.used = True
                    item = Node("opaque", element.value, (value,))
                else:
                    item = None
                self.bind_target(element.value, scope, item)
        elif isinstance(target, cst.StarredElement):
            self.bind_target(target.value, scope)
        else:  # `self.x = ...`, `outputs["a"] = ...`: stored where the walk cannot follow
            self.evaluate(target, scope)
            _mark_used([value])

    # --- functions ----------------------------------------------------------------------------

    def run_function(self, function: Function):
        """Walk a function body once (its parameters unknown) and return what it returns."""
        if not function.analyzed:
            function.analyzed = True
            scope = Scope(function.scope)
            params = function.node.params
            for param in (
                *params.posonly_params,
                *params.params,
                *params.kwonly_params,
            ):
                scope.names[param.name.value] = None
            for star in (params.star_arg, params.star_kwarg):
                if isinstance(star, cst.Param):
                    scope.names[star.name.value] = None
            self.block(function.node.body.body, scope)
            function.result = scope.names.get(_RETURN)
        return function.result

    # --- expressions --------------------------------------------------------------------------

    def evaluate(self, node, scope: Scope):
        kind = type(node)
        if kind is cst.Name:
            name = node.value
            if name in _BUILTIN_CONSTANTS:
                return Const(_BUILTIN_CONSTANTS[name])
            value = scope.lookup(name)
            if type(value) is Node:
                value.used = True
            return value
        if kind is cst.Attribute:
            base = self.evaluate(node.value, scope)
            if isinstance(base, (Instance, Node, Model)):
                self.attributes.append((node, base))
            return self.attribute(base, node.attr.value)
        if kind is cst.Call:
            return self.call(node, scope)
        if kind is cst.SimpleString or kind is cst.ConcatenatedString:
            try:
                return Const(node.evaluated_value)
            except Exception:  # noqa: BLE001 (odd escapes: unknown, not a crash)
                return None
        if kind is cst.Integer or kind is cst.Float:
            return Const(node.evaluated_value)
        if kind is cst.UnaryOperation:
            operand = self.evaluate(node.expression, scope)
            if (
                isinstance(node.operator, cst.Minus)
                and isinstance(operand, Const)
                and type(operand.value) in (int, float)
            ):
                return Const(-operand.value)
            return None
        if kind is cst.List or kind is cst.Tuple:
            return Seq(
                [
                    None if isinstance(e, cst.StarredElement) else self.evaluate(e.value, scope)
                    for e in node.elements
                ]
            )
        if kind is cst.Dict:
            return Mapping(
                [
                    (self.evaluate(e.key, scope), self.evaluate(e.value, scope))
                    for e in node.elements
                    if isinstance(e, cst.DictElement)
                ]
            )
        if kind is cst.BinaryOperation:
            left = self.evaluate(node.left, scope)
            right = self.evaluate(node.right, scope)
            found = _arithmetic(node.operator, left, right) or self.opaque([left, right], node)
            if found is None and isinstance(left, (Result, Item)):
                # `y_train / 255`: an array operation, kept so label rules can see it.
                operator = type(node.operator).__name__.lower()
                return Result(f"operator.{operator}", node, [left, right], {})
            return found
        if kind is cst.Subscript:
            index = [
                self.evaluate(element.slice.value, scope)
                for element in node.slice
                if isinstance(element.slice, cst.Index)
            ]
            base = self.evaluate(node.value, scope)
            if isinstance(base, Result) and len(index) == len(node.slice):
                return Result(f"{base.qualname}[]", node, [base, *index], {})  # np.eye(n)[y]
            return self.opaque([base], node)
        self.read_names(node, scope)
        return None

    def read_names(self, node, scope: Scope) -> None:
        """Mark the tensors an expression the walk does not evaluate refers to (a lambda, a
        comprehension, an f-string, a comparison) as used: never call a consumed output dropped."""
        stack = [node]
        while stack:
            item = stack.pop()
            kind = type(item)
            if kind is cst.Name:
                value = scope.lookup(item.value)
                if type(value) is Node:
                    value.used = True
                continue
            names = _CHILD_FIELDS.get(kind)
            if names is None:  # libcst's `children` is slow: read the node's fields directly
                names = _CHILD_FIELDS[kind] = tuple(
                    f.name
                    for f in fields(kind)
                    if not f.name.startswith(("whitespace", "lpar", "rpar"))
                )
            for name in names:
                value = getattr(item, name)
                if isinstance(value, cst.CSTNode):
                    stack.append(value)
                elif isinstance(value, (list, tuple)):
                    stack.extend(v for v in value if isinstance(v, cst.CSTNode))

    @staticmethod
    def opaque(values, expr):
        """An unknown operation: a tensor when it consumes tensors (keeps the graph connected)."""
        inputs = tuple(_tensors(values))
        return Node("opaque", expr, inputs) if inputs else None

    @staticmethod
    def result(qualname: str, node: cst.Call, args, kwargs):
        """A call's value: a tensor when it consumes tensors, else what the named call returned."""
        if any(True for _ in _tensors([*args, *kwargs.values()])):
            return _Extractor.opaque([*args, *kwargs.values()], node)
        return Result(qualname, node, args, kwargs)

    @staticmethod
    def attribute(base, name: str):
        if isinstance(base, Ref):
            return base.attr(name)
        if isinstance(base, Model) and name in ("output", "outputs"):
            return Node("model", base.call, model=base)
        if isinstance(base, (Model, Node, Instance, Result, Item)):
            return _Bound(base, name)
        return None

    def call(self, node: cst.Call, scope: Scope):
        func = self.evaluate(node.func, scope)
        args: list = []
        kwargs: dict = {}
        starred = False
        for arg in node.args:
            value = self.evaluate(arg.value, scope)
            if arg.star:
                starred = True
            elif arg.keyword is not None:
                kwargs[arg.keyword.value] = value
            else:
                args.append(value)
        _mark_used([*args, *kwargs.values()])
        bound = func if isinstance(func, _Bound) else None
        self.calls.append(
            CallSite(
                node,
                func,
                bound.owner if bound else None,
                bound.name if bound else _method_name(node),
                args,
                kwargs,
                starred,
                scope,
            )
        )

        if isinstance(func, Ref):
            return self.call_keras(func.qualname, node, args, kwargs, starred)
        if isinstance(func, Instance) and func.kind:  # a layer applied to tensors
            tensor = Node(
                "layer",
                func.call,
                tuple(_tensors([*args, kwargs.get("inputs")])),
                layer=func,
                site=node,
            )
            self.tensors.append(tensor)
            return tensor
        if isinstance(func, Model):
            tensor = Node(
                "model",
                func.call,
                tuple(_tensors([*args, kwargs.get("inputs")])),
                model=func,
                site=node,
            )
            self.tensors.append(tensor)
            return tensor
        if isinstance(func, Function):
            return self.run_function(func)
        if bound is not None and isinstance(bound.owner, Model):
            model = bound.owner
            if bound.name == "add" and model.kind == "sequential" and args:
                model.add(args[0])
            elif bound.name == "compile":
                loss = kwargs.get("loss", args[1] if len(args) > 1 else DEFAULT)
                optimizer = kwargs.get("optimizer", args[0] if args else DEFAULT)
                metrics = kwargs.get("metrics", args[3] if len(args) > 3 else DEFAULT)
                unknown = starred  # **config may set anything not passed explicitly
                model.compiles.append(
                    Compile(
                        node,
                        None if unknown and "loss" not in kwargs else loss,
                        None if unknown and "optimizer" not in kwargs else optimizer,
                        None if unknown and "metrics" not in kwargs else metrics,
                    )
                )
            return None
        if bound is not None and isinstance(bound.owner, (Result, Item)):
            if bound.name in _SAME_VALUES:
                return bound.owner  # `y.astype("float32")` holds the same labels
            if isinstance(bound.owner, Result):
                return self.result(f"{bound.owner.qualname}.{bound.name}", node, args, kwargs)
        return self.opaque([*args, *kwargs.values()], node)

    def call_keras(self, qualname: str, node: cst.Call, args, kwargs, starred):
        if _is_layer_class(qualname):
            return self.instance(qualname, node, args, kwargs, starred)
        if _is_keras(qualname, "Input"):
            shape = kwargs.get("shape", args[0] if args else None)
            return Node("input", node, shape=shape)
        if _is_keras(qualname, "Sequential"):
            model = Model("sequential", node)
            items = kwargs.get("layers", args[0] if args else None)
            if isinstance(items, Seq):
                for item in items.items:
                    model.add(item)
            elif args or "layers" in kwargs:
                model.add(None)  # layers we cannot see: the model starts with an unknown step
            self.models.append(model)
            return model
        if _is_keras(qualname, "Model", "Functional") and not starred:
            return self.functional(node, args, kwargs)
        if qualname.startswith("keras.applications.") and qualname.rpartition(".")[2][:1].isupper():
            return Model("application", node)
        if qualname.startswith("keras.") and qualname.rpartition(".")[2][:1].isupper():
            return self.instance(qualname, node, args, kwargs, starred)
        return self.result(qualname, node, args, kwargs)

    def instance(self, qualname: str, node: cst.Call, args, kwargs, starred) -> Instance:
        built = Instance(qualname, node, args, kwargs, starred)
        self.instances.append(built)
        return built

    def functional(self, node: cst.Call, args, kwargs):
        inputs = kwargs.get("inputs", kwargs.get("input", args[0] if args else None))
        outputs = kwargs.get("outputs", kwargs.get("output", args[1] if len(args) > 1 else None))
        if not isinstance(outputs, (Node, Seq, Mapping)):
            return None  # Model() with no graph: a subclass-style call we cannot see into
        model = Model("functional", node, inputs=list(_tensors([inputs])))
        if isinstance(outputs, Mapping):
            model.outputs = [
                (
                    key.value if isinstance(key, Const) and isinstance(key.value, str) else None,
                    value if isinstance(value, Node) else None,  # a nested dict/list: unknown
                )
                for key, value in outputs.items
            ]
        else:
            items = outputs.items if isinstance(outputs, Seq) else [outputs]
            model.outputs = [
                (
                    layer_name(v) if isinstance(v, Node) else None,
                    v if isinstance(v, Node) else None,
                )
                for v in items
            ]
        self.models.append(model)
        return model


@dataclass(eq=False)
class _Bound:
    """`obj.name` where obj is a model/layer/tensor: a method about to be called."""

    owner: object
    name: str


_INTEGER_OPERATIONS = {
    cst.Add: lambda a, b: a + b,
    cst.Subtract: lambda a, b: a - b,
    cst.Multiply: lambda a, b: a * b,
    cst.FloorDivide: lambda a, b: a // b if b else None,
}


def _arithmetic(operator, left, right):
    """Integer arithmetic and tuple concatenation on constants (`IMAGE_SIZE + (3,)`,
    `7 * 7 * 64`), the way shapes are usually written; anything else is not evaluated."""
    if isinstance(left, Seq) and isinstance(right, Seq) and type(operator) is cst.Add:
        return Seq([*left.items, *right.items])
    if (  # `1.0 / 255`: a Rescaling scale
        type(operator) is cst.Divide
        and isinstance(left, Const)
        and isinstance(right, Const)
        and type(left.value) in (int, float)
        and type(right.value) in (int, float)
        and right.value
    ):
        return Const(left.value / right.value)
    operation = _INTEGER_OPERATIONS.get(type(operator))
    if (
        operation is not None
        and isinstance(left, Const)
        and isinstance(right, Const)
        and type(left.value) is int
        and type(right.value) is int
    ):
        value = operation(left.value, right.value)
        return Const(value) if value is not None else None
    return None


def _method_name(node: cst.Call) -> str | None:
    return node.func.attr.value if isinstance(node.func, cst.Attribute) else None


def _mark_used(values) -> None:
    for tensor in _tensors(values):
        tensor.used = True


# Array methods that keep an array's values (and so what its labels are).
_SAME_VALUES = frozenset({"astype", "copy", "ravel", "flatten", "squeeze", "reshape", "to_numpy"})
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}
_MISSING = object()
_RETURN = " return"  # not an identifier: cannot clash with a real name
_BUILTIN_CONSTANTS = {"True": True, "False": False, "None": None}


def extract(module: cst.Module, pasted: bool = False) -> Facts:
    """Walk a module once and return its models, their layers and their compile() calls;
    `pasted`: a file without imports, where the usual Keras names mean Keras."""
    extractor = _Extractor()
    scope = usual_keras_scope() if pasted else Scope()
    extractor.block(module.body, scope)
    # Functions never called from the walked code (main(), methods) are still checked.
    for function in extractor.functions:
        if not function.analyzed:
            extractor.run_function(function)
    return Facts(
        module,
        scope,
        extractor.models,
        extractor.instances,
        extractor.calls,
        extractor.tensors,
        extractor.attributes,
    )
