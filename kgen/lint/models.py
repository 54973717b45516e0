"""Keras models as graphs of layer calls, extracted statically from a libcst module.

One walk over the statements evaluates each expression once into a small abstract value:
constants, references to Keras names, layer instances, tensors (graph nodes) and models.
Anything the walk cannot know is `None`, and rules stay silent on it: a missed bug costs less
trust than a false alarm. Branches (`if`/`try`/loops) are evaluated on copies of the scope and
merged, so a name bound differently on two paths becomes unknown instead of a wrong guess.

The values live in `values.py`, the statement walk in `statements.py`, expression evaluation
in `expressions.py`; this module joins them and is what rules import.
"""

from __future__ import annotations

import libcst as cst

from kgen.lint.expressions import ExpressionEvaluator
from kgen.lint.resolve import Scope, usual_keras_scope
from kgen.lint.statements import StatementWalker
from kgen.lint.values import (  # noqa: F401 (the names rules import from here)
    DEFAULT,
    CallSite,
    Compile,
    Const,
    Facts,
    Function,
    Instance,
    Item,
    Mapping,
    Model,
    Node,
    Result,
    Seq,
    layer_name,
)


class _Extractor(StatementWalker, ExpressionEvaluator):
    def __init__(self) -> None:
        self.models: list[Model] = []
        self.functions: list[Function] = []
        self.instances: list[Instance] = []
        self.calls: list[CallSite] = []
        self.tensors: list[Node] = []
        self.attributes: list[tuple[cst.Attribute, object]] = []


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
