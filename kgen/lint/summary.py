"""`kgen summary FILE`: each model's layers, output shapes and parameter counts, like
`model.summary()`, computed from the source by `kgen.lint.shapes` (no TensorFlow, nothing run).
A `?` marks what the source does not determine (a shape read from the data, a parameter)."""

from __future__ import annotations

import re
from pathlib import Path

import libcst as cst

from kgen.errors import KgenError
from kgen.lint.discover import describe
from kgen.lint.models import Const, Facts, Model, extract
from kgen.lint.shapes import infer
from kgen.lint.source import NOT_ANALYSED, Undecodable, read_script, too_deep


def snake_case(name: str) -> str:
    """Keras's default layer name for a class: `Conv2D` -> `conv2d`, `GRU` -> `gru`."""
    name = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _names(facts: Facts) -> dict[int, str]:
    """Layer names as Keras would give them: `name=`, else the snake-cased class with a
    counter, in the order the layers are built."""
    counters: dict[str, int] = {}
    names: dict[int, str] = {}
    for instance in facts.instances:
        if not instance.kind:
            continue
        given = instance.param("name")
        if isinstance(given, Const) and isinstance(given.value, str):
            names[id(instance)] = given.value
            continue
        base = snake_case(instance.kind)
        count = counters.get(base, 0)
        counters[base] = count + 1
        names[id(instance)] = base if count == 0 else f"{base}_{count}"
    return names


def _shape(shape) -> str:
    if shape is None:
        return "?"
    dims = ["None", *("None" if d is None else repr(d) for d in shape)]
    return "(" + ", ".join(dims) + (",)" if len(dims) == 1 else ")")


def _number(value) -> str:
    return "?" if value is None else f"{value:,}"


def model_table(model: Model, where: str, title: str, names: dict[int, str]) -> str:
    rows = []
    inputs = 0
    counted: dict[int, tuple] = {}  # a shared layer's weights count once
    for result in infer(model):
        node = result.node
        if node.kind == "input":
            label = f"input_layer{'' if inputs == 0 else f'_{inputs}'} (InputLayer)"
            inputs += 1
        elif node.kind == "layer":
            label = f"{names.get(id(node.layer), '?')} ({result.kind})"
            counted[id(node.layer)] = (result.params, result.non_trainable)
        else:
            label = "(nested model)" if node.kind == "model" else "(operation)"
            counted[id(node)] = (None, None)
        rows.append((label, _shape(result.shape), _number(result.params)))
    # A list, not unpacked arguments: a model with no layers has no rows (found by fuzzing).
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(HEADINGS)]
    rule = "-" * (sum(widths) + 4)
    lines = [f'Model: "{title}" ({model.kind}, {where})', rule]
    lines.append(
        f"{HEADINGS[0]:<{widths[0]}}  {HEADINGS[1]:<{widths[1]}}  {HEADINGS[2]:>{widths[2]}}"
    )
    lines.append(rule)
    for label, shape, params in rows:
        lines.append(f"{label:<{widths[0]}}  {shape:<{widths[1]}}  {params:>{widths[2]}}")
    lines.append(rule)
    totals = list(counted.values())
    if any(params is None or frozen is None for params, frozen in totals):
        known = sum(p for p, _ in totals if p is not None)
        lines.append(f"Total params: ? (the known layers hold {known:,})")
    else:
        total = sum(p for p, _ in totals)
        frozen = sum(f for _, f in totals)
        lines.append(f"Total params: {total:,}")
        lines.append(f"Trainable params: {total - frozen:,}")
        lines.append(f"Non-trainable params: {frozen:,}")
    return "\n".join(lines)


HEADINGS = ("Layer (type)", "Output Shape", "Param #")


def summarize_file(path: Path) -> str:
    """The summary of a script or notebook, read as `kgen lint` reads it; a KgenError (one
    line, naming the file) for a file that cannot be read, decoded or analysed."""
    try:
        _, notebook, source = read_script(path)
    except OSError as exc:
        raise KgenError(f"cannot read {path}: {describe(exc)}") from None
    except Undecodable as exc:
        raise KgenError(f"{path}:{exc.line}:{exc.column}: {exc.message}") from None
    locate = None
    if notebook is not None:
        locate = lambda line: "cell {}, line {}".format(*notebook.locate(line))
    try:
        return summarize(source, locate)
    except KgenError as exc:
        raise KgenError(f"{path}: {exc}") from None


def summarize(source: str, locate=None) -> str:
    """The summary tables of every model a module builds (pretrained applications aside);
    `locate` names a line of the source (a notebook's cell and line)."""
    locate = locate or (lambda line: f"line {line}")
    deep = too_deep(source)  # libcst would overflow its stack (a segfault) on such nesting
    if deep is not None:
        if deep.invalid:
            raise KgenError(f"cannot parse: {locate(deep.line)}: {deep.message}")
        raise KgenError(deep.message)
    try:
        return _summarize(source, locate)
    except RecursionError:  # under the guard's limit, still too deep for the tree walks
        raise KgenError(NOT_ANALYSED) from None


def _summarize(source: str, locate) -> str:
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        raise KgenError(f"cannot parse: {locate(error.raw_line)}: syntax error") from None
    facts = extract(module)
    models = [m for m in facts.models if m.kind != "application"]
    if not models:
        return "No Keras model found (Sequential or functional keras.Model)."
    from libcst.metadata import MetadataWrapper, PositionProvider

    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    names = _names(facts)
    counters: dict[str, int] = {}
    tables = []
    for model in models:
        given = _model_name(model)
        if given is None:
            base = "sequential" if model.kind == "sequential" else "functional"
            count = counters.get(base, 0)
            counters[base] = count + 1
            given = base if count == 0 else f"{base}_{count}"
        where = locate(positions[model.call].start.line)
        tables.append(model_table(model, where, given, names))
    return "\n\n".join(tables)


def _model_name(model: Model) -> str | None:
    for arg in model.call.args:
        named = arg.keyword is not None and arg.keyword.value == "name"
        if named and isinstance(arg.value, cst.SimpleString):
            return arg.value.evaluated_value
    return None
