"""Regenerate the keyword tables the linter checks calls against.

    python -m kgen.lint.gen_signatures                 # Keras 3 table, from the installed Keras
    python -m kgen.lint.gen_signatures --check         # exit 1 when it is out of date
    python -m kgen.lint.gen_signatures --keras2 keras-2.15.0-py3-none-any.whl \\
        --keras1 Keras-2.2.4-py2.py3-none-any.whl      # the Keras 1/2 table, from their wheels

`keras_signatures.py` holds what Keras 3 accepts, read with `inspect` from the installed Keras.
`keras2_signatures.py` holds what Keras 2 accepted, read from a Keras 2 wheel's source with
`ast` (never imported: it needs TensorFlow 2.15), and the Keras 1 -> 2 keyword renames that
Keras 2.2's `keras/legacy/interfaces.py` applied. What Keras 3 removed is the difference.
"""

from __future__ import annotations

import ast
import inspect
import os
import sys
import textwrap
import zipfile
from pathlib import Path

HERE = Path(__file__).parent
KERAS3_TABLE = HERE / "keras_signatures.py"
KERAS2_TABLE = HERE / "keras2_signatures.py"
MODEL_METHODS = ("compile", "fit", "evaluate", "predict", "train_on_batch", "test_on_batch")
KERAS2_METHODS = (*MODEL_METHODS, "fit_generator", "evaluate_generator", "predict_generator")


# --- Keras 3, by inspect ---------------------------------------------------------------------


def _kwargs_use(function) -> tuple[set[str], bool, bool]:
    """(keywords it pops from **kwargs, whether it passes **kwargs on to super().__init__,
    whether it passes them anywhere else) read from the function's source."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return set(), False, True
    popped, to_super, elsewhere = set(), False, False
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == "kwargs"
            and func.attr in ("pop", "get")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            popped.add(node.args[0].value)
        if any(k.arg is None for k in node.keywords):
            if isinstance(func, ast.Attribute) and func.attr == "__init__":
                to_super = True
            else:
                elsewhere = True
    return popped, to_super, elsewhere


def _parameters(function) -> tuple[set[str], bool]:
    signature = inspect.signature(function)
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    names = {p.name for p in signature.parameters.values() if p.kind in kinds} - {"self"}
    var = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values())
    return names, var


def accepted(cls_or_function) -> list[str] | None:
    """The keywords a Keras 3 class constructor or function accepts; None when **kwargs go
    somewhere the table cannot follow (any keyword may be fine)."""
    chain = (
        [k.__dict__["__init__"] for k in cls_or_function.__mro__ if "__init__" in k.__dict__]
        if isinstance(cls_or_function, type)
        else [inspect.unwrap(cls_or_function)]
    )
    names: set[str] = set()
    for function in chain:
        own, var = _parameters(function)
        names |= own
        if not var:
            return sorted(names)
        popped, to_super, elsewhere = _kwargs_use(function)
        names |= popped
        if elsewhere:
            return None
        if not to_super:  # consumes **kwargs itself: Keras raises on what it did not pop
            source = inspect.getsource(function)
            return sorted(names) if "raise" in source and "kwargs" in source else None
    return None


def collect_keras3() -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    table: dict[str, list[str]] = {}
    aliases: dict[str, str] = {}
    for module, prefix in (
        (keras.layers, "keras.layers"),
        (keras.optimizers, "keras.optimizers"),
        (keras.callbacks, "keras.callbacks"),
    ):
        for name in sorted(dir(module)):
            value = getattr(module, name)
            if name.startswith("_") or not isinstance(value, type):
                continue
            found = accepted(value)
            if found is not None:
                table[f"{prefix}.{name}"] = found
            if value.__name__ != name and prefix == "keras.layers":
                aliases[f"{prefix}.{name}"] = f"{prefix}.{value.__name__}"
    for method in MODEL_METHODS:
        found = accepted(getattr(keras.Model, method))
        if found is not None:
            table[f"keras.Model.{method}"] = found
    table["keras.Input"] = accepted(keras.Input)
    table["keras.Sequential.add"] = accepted(keras.Sequential.add)
    # Attributes are partly set in __init__: read them off built objects.
    layer = keras.layers.Dense(1)
    layer.build((None, 2))
    return {
        "KERAS_VERSION": keras.__version__,
        "KEYWORDS": table,
        "ALIASES": aliases,  # another name for a class: Convolution2D is Conv2D
        "LAYER_ATTRIBUTES": sorted(n for n in dir(layer) if not n.startswith("_")),
    }


# --- Keras 2, by ast on a wheel's source -----------------------------------------------------


class _Source:
    """Modules of a wheel, parsed on demand, with classes resolved through their imports."""

    def __init__(self, wheel: Path) -> None:
        self.zip = zipfile.ZipFile(wheel)
        self.files = set(self.zip.namelist())
        self.trees: dict[str, ast.Module | None] = {}

    def module(self, dotted: str) -> ast.Module | None:
        if dotted not in self.trees:
            tree = None
            for path in (
                dotted.replace(".", "/") + ".py",
                dotted.replace(".", "/") + "/__init__.py",
            ):
                if path in self.files:
                    tree = ast.parse(self.zip.read(path))
                    break
            self.trees[dotted] = tree
        return self.trees[dotted]

    def exports(self, api_module: str) -> dict[str, tuple[str, str]]:
        """Public name -> (defining module, class name) from an API `__init__` of imports."""
        tree = self.module(api_module)
        found = {}
        for node in tree.body if tree else ():
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    found[alias.asname or alias.name] = (node.module, alias.name)
        return found

    def resolve(self, module: str, name: str, depth: int = 0):
        """(module, ClassDef or FunctionDef) for a name as seen from a module."""
        tree = self.module(module)
        if tree is None or depth > 6:
            return None
        head, _, rest = name.partition(".")
        for node in tree.body:
            if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and node.name == name:
                return module, node
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    if (alias.asname or alias.name) != head:
                        continue
                    if rest:  # `from keras.src.engine import base_layer` then base_layer.Layer
                        return self.resolve(f"{node.module}.{alias.name}", rest, depth + 1)
                    return self.resolve(node.module, alias.name, depth + 1)
        return None

    def keywords(self, module: str, cls: ast.ClassDef, depth: int = 0) -> set[str]:
        """Every keyword a class's constructor takes, through its bases and `allowed_kwargs`."""
        names: set[str] = set()
        init = next(
            (n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"),
            None,
        )
        if init is not None:
            names |= _function_keywords(init)
            if init.args.kwarg is None:
                return names
        for base in cls.bases:
            dotted = ast.unparse(base)
            found = self.resolve(module, dotted) if depth < 12 else None
            if found and isinstance(found[1], ast.ClassDef):
                names |= self.keywords(*found, depth + 1)
        return names


def _function_keywords(function: ast.FunctionDef) -> set[str]:
    """Parameters, keywords popped from **kwargs, and `allowed_kwargs = {...}` entries."""
    args = function.args
    names = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)} - {"self"}
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("pop", "get")
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "kwargs"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(node.args[0].value)
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Set)
            and any(isinstance(t, ast.Name) and "kwargs" in t.id for t in node.targets)
        ):
            names |= {e.value for e in node.value.elts if isinstance(e, ast.Constant)}
    return names


def _method_call(function: ast.FunctionDef) -> tuple[str, dict[str, str]] | None:
    """`return self.fit(generator, steps_per_epoch=steps_per_epoch, ...)`: the method a
    Keras 2 deprecated method forwards to, and its parameters -> the target's keywords."""
    params = [a.arg for a in function.args.args if a.arg != "self"]
    for node in ast.walk(function):
        if not (
            isinstance(node, ast.Return)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute)
            and isinstance(node.value.func.value, ast.Name)
            and node.value.func.value.id == "self"
        ):
            continue
        call = node.value
        renames = {}
        target_positional = ("x", "y")
        for index, arg in enumerate(call.args):
            if isinstance(arg, ast.Name) and arg.id in params and index < len(target_positional):
                renames[arg.id] = target_positional[index]
        for keyword in call.keywords:
            if keyword.arg and isinstance(keyword.value, ast.Name) and keyword.value.id in params:
                renames[keyword.value.id] = keyword.arg
        return call.func.attr, renames
    return None


def collect_keras2(wheel: Path) -> dict:
    source = _Source(wheel)
    version = next(
        (
            n.split("/")[0][: -len(".dist-info")].split("-")[1]
            for n in source.files
            if n.endswith(".dist-info/METADATA")
        ),
        "?",
    )
    table: dict[str, list[str]] = {}
    for api, prefix in (
        ("keras.api._v2.keras.layers", "keras.layers"),
        ("keras.api._v2.keras.optimizers", "keras.optimizers"),
        ("keras.api._v2.keras.callbacks", "keras.callbacks"),
    ):
        for name, (module, real) in sorted(source.exports(api).items()):
            found = source.resolve(module, real)
            if found and isinstance(found[1], ast.ClassDef) and name[:1].isupper():
                table[f"{prefix}.{name}"] = sorted(source.keywords(*found))
    forwards = {}
    model = source.resolve("keras.src.engine.training", "Model")
    methods = {n.name: n for n in model[1].body if isinstance(n, ast.FunctionDef)}
    for name in KERAS2_METHODS:
        if name in methods:
            table[f"keras.Model.{name}"] = sorted(_function_keywords(methods[name]))
            forward = _method_call(methods[name]) if name.endswith("_generator") else None
            if forward:
                forwards[f"keras.Model.{name}"] = forward
    layer = source.resolve("keras.src.engine.base_layer", "Layer")[1]
    attributes = sorted(
        n.name
        for n in layer.body
        if isinstance(n, ast.FunctionDef)
        and not n.name.startswith("_")
        and any(ast.unparse(d).endswith("property") for d in n.decorator_list)
    )
    return {
        "KERAS2_VERSION": version,
        "KEYWORDS": table,
        "FORWARDS": forwards,
        "LAYER_ATTRIBUTES": attributes,
    }


def collect_keras1(wheel: Path) -> dict:
    """Keras 1 keyword -> Keras 2 keyword, per class, from Keras 2.2's legacy interfaces: a
    rename whose values also changed (`dim_ordering="tf"`) or that a preprocessor rewrites
    (`nb_row`/`nb_col` into `kernel_size`) maps to None."""
    source = _Source(wheel)
    interfaces = source.module("keras.legacy.interfaces")
    functions = {n.name: n for n in interfaces.body if isinstance(n, ast.FunctionDef)}
    decorators: dict[str, dict[str, str | None]] = {}
    for node in interfaces.body:
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
            continue
        options = {k.arg: k.value for k in node.value.keywords}
        renames: dict[str, str | None] = {}
        for pair in getattr(options.get("conversions"), "elts", ()):
            old, new = (e.value for e in pair.elts)
            renames[old] = new
        if isinstance(options.get("value_conversions"), ast.Dict):
            for key in options["value_conversions"].keys:
                renames[key.value] = None
        preprocessor = options.get("preprocessor")
        if isinstance(preprocessor, ast.Name) and preprocessor.id in functions:
            for name in _function_keywords(functions[preprocessor.id]) - {"args", "kwargs"}:
                renames.setdefault(name, None)
        decorators[node.targets[0].id] = renames
    table: dict[str, dict[str, str | None]] = {}
    tensor_attributes: set[str] = set()
    for path in sorted(source.files):
        if not path.startswith("keras/") or not path.endswith(".py"):
            continue
        module = path[:-3].replace("/", ".")
        for node in ast.walk(source.module(module)):  # x._keras_shape = ... on tensors
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store)
                and node.attr.startswith("_keras_")
                and not (isinstance(node.value, ast.Name) and node.value.id == "self")
            ):
                tensor_attributes.add(node.attr)
        for cls in source.module(module).body:
            if not isinstance(cls, ast.ClassDef):
                continue
            for item in cls.body:
                if not isinstance(item, ast.FunctionDef):
                    continue
                for decorator in item.decorator_list:
                    name = ast.unparse(decorator).rpartition(".")[2]
                    if decorators.get(name):
                        where = "keras.layers" if ".layers." in module else "keras"
                        key = (
                            f"{where}.{cls.name}"
                            if item.name == "__init__"
                            else f"keras.{cls.name}.{item.name}"
                        )
                        table.setdefault(key, {}).update(decorators[name])
    return {"KERAS1_RENAMES": table, "KERAS1_TENSOR_ATTRIBUTES": sorted(tensor_attributes)}


# --- rendering -------------------------------------------------------------------------------


def _render(doc: str, values: dict) -> str:
    lines = [f'"""{doc} GENERATED by `python -m kgen.lint.gen_signatures`; do not edit."""', ""]
    for key, value in values.items():
        lines.append(f"{key} = {_literal(value)}")
        lines.append("")
    import black  # kgen's own formatter: the committed table stays as black leaves it

    return black.format_str("\n".join(lines), mode=black.Mode(line_length=100))


def _literal(value, indent: int = 0) -> str:
    pad = "    " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        body = "".join(f"{pad}{k!r}: {_literal(v, indent + 1)},\n" for k, v in value.items())
        return "{\n" + body + "    " * indent + "}"
    if isinstance(value, list):  # one string of names: a small module to load (split on use)
        return repr(" ".join(sorted(value)))
    if isinstance(value, tuple):
        return "(" + ", ".join(_literal(v, indent) for v in value) + ",)"
    return repr(value)


def render_keras3(table: dict) -> str:
    return _render(
        "What the installed Keras 3 accepts: keywords per class/method (only where Keras"
        " rejects unknown ones) and the attributes of layers and models.",
        table,
    )


def render_keras2(keras2: dict, keras1: dict) -> str:
    return _render(
        "What Keras 2 accepted (read from its wheel's source) and the Keras 1 keyword"
        " renames Keras 2.2 still converted.",
        {**keras2, **keras1},
    )


def main(argv: list[str]) -> int:
    text = render_keras3(collect_keras3())
    if "--check" in argv:
        if KERAS3_TABLE.read_text(encoding="utf-8") != text:
            print(f"{KERAS3_TABLE} is out of date: run python -m kgen.lint.gen_signatures")
            return 1
        return 0
    KERAS3_TABLE.write_text(text, encoding="utf-8")
    if "--keras2" in argv and "--keras1" in argv:
        keras2 = collect_keras2(Path(argv[argv.index("--keras2") + 1]))
        keras1 = collect_keras1(Path(argv[argv.index("--keras1") + 1]))
        KERAS2_TABLE.write_text(render_keras2(keras2, keras1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
