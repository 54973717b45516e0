"""The expression half of the model extraction: evaluates an expression into an abstract value,
builds layer instances, tensors and models from calls to Keras."""

from __future__ import annotations

from dataclasses import fields

import libcst as cst

from kgen.lint.resolve import Ref, Scope
from kgen.lint.values import (
    DEFAULT,
    Bound,
    CallSite,
    Compile,
    Const,
    Function,
    Instance,
    Item,
    Mapping,
    Model,
    Node,
    Result,
    Seq,
    is_keras,
    is_layer_class,
    layer_name,
    mark_used,
    tensors,
)


class ExpressionEvaluator:
    """Mixin of the extractor: expressions and calls."""

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
        inputs = tuple(tensors(values))
        return Node("opaque", expr, inputs) if inputs else None

    @staticmethod
    def result(qualname: str, node: cst.Call, args, kwargs):
        """A call's value: a tensor when it consumes tensors, else what the named call returned."""
        if any(True for _ in tensors([*args, *kwargs.values()])):
            return ExpressionEvaluator.opaque([*args, *kwargs.values()], node)
        return Result(qualname, node, args, kwargs)

    @staticmethod
    def attribute(base, name: str):
        if isinstance(base, Ref):
            return base.attr(name)
        if isinstance(base, Model) and name in ("output", "outputs"):
            return Node("model", base.call, model=base)
        if isinstance(base, (Model, Node, Instance, Result, Item)):
            return Bound(base, name)
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
        mark_used([*args, *kwargs.values()])
        bound = func if isinstance(func, Bound) else None
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
                tuple(tensors([*args, kwargs.get("inputs")])),
                layer=func,
                site=node,
            )
            self.tensors.append(tensor)
            return tensor
        if isinstance(func, Model):
            tensor = Node(
                "model",
                func.call,
                tuple(tensors([*args, kwargs.get("inputs")])),
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
        if is_layer_class(qualname):
            return self.instance(qualname, node, args, kwargs, starred)
        if is_keras(qualname, "Input"):
            shape = kwargs.get("shape", args[0] if args else None)
            return Node("input", node, shape=shape)
        if is_keras(qualname, "Sequential"):
            model = Model("sequential", node)
            items = kwargs.get("layers", args[0] if args else None)
            if isinstance(items, Seq):
                for item in items.items:
                    model.add(item)
            elif args or "layers" in kwargs:
                model.add(None)  # layers we cannot see: the model starts with an unknown step
            self.models.append(model)
            return model
        if is_keras(qualname, "Model", "Functional") and not starred:
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
        model = Model("functional", node, inputs=list(tensors([inputs])))
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


# Array methods that keep an array's values (and so what its labels are).
_SAME_VALUES = frozenset({"astype", "copy", "ravel", "flatten", "squeeze", "reshape", "to_numpy"})
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}
_BUILTIN_CONSTANTS = {"True": True, "False": False, "None": None}
