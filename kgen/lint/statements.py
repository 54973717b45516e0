"""The statement half of the model extraction: walks a block, binds names, evaluates branches
on copies of the scope and merges them, and runs function bodies."""

from __future__ import annotations

import libcst as cst

from kgen.lint.resolve import Scope
from kgen.lint.values import Const, Function, Item, Node, Result, Seq, mark_used

_MISSING = object()
RETURN = " return"  # not an identifier: cannot clash with a real name


class StatementWalker:
    """Mixin of the extractor: statements. Expressions are `evaluate()`d by its other half."""

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
                    merged[name] = _augmented(a, b)
                    mark_used([a, b])  # what a branch bound may be consumed after it
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
                scope.names[RETURN] = self.evaluate(node.value, scope)
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
            mark_used([value])

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
            function.result = scope.names.get(RETURN)
        return function.result


# Layers that change samples in training only and pass them through unchanged at inference.
_AUGMENTATION = frozenset(
    {
        "RandomFlip", "RandomRotation", "RandomZoom", "RandomContrast", "RandomTranslation",
        "RandomBrightness",
    }
)  # fmt: skip


def _augmented(a, b):
    """Of two tensors a branch chose between, the one that is the other behind augmentation
    layers only (`if augment: x = layers.RandomFlip()(x)`): at inference both paths build the
    same model, so the walk keeps the fuller one. None when neither is."""
    for longer, shorter in ((a, b), (b, a)):
        node = longer
        while (
            isinstance(node, Node)
            and node.kind == "layer"
            and node.layer is not None
            and node.layer.kind in _AUGMENTATION
            and len(node.inputs) == 1
        ):
            node = node.inputs[0]
            if node is shorter:
                return longer
    return None
