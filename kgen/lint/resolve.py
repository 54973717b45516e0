"""Names to qualified Keras names, through imports and aliases, in the one pass we already make.

libcst's QualifiedNameProvider would do this too, but its metadata costs ~0.25 s per file; a
scope chain of plain dicts filled as the statements are walked costs next to nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

# Every spelling of the Keras package maps to `keras`, so rules compare one name.
_KERAS_ROOTS = (
    ("tensorflow.python.keras", "keras"),
    ("tensorflow.compat.v2.keras", "keras"),
    ("tensorflow.keras", "keras"),
    ("tf_keras", "keras"),
    ("keras.api._v2.keras", "keras"),
    ("keras.src", "keras"),
)


def canonical(qualname: str) -> str:
    """`tensorflow.keras.layers.Dense` -> `keras.layers.Dense`; other names unchanged."""
    for prefix, replacement in _KERAS_ROOTS:
        if qualname == prefix or qualname.startswith(prefix + "."):
            return replacement + qualname[len(prefix) :]
    return qualname


@dataclass(frozen=True)
class Ref:
    """A reference to a module, class or function known by its qualified name."""

    qualname: str

    def attr(self, name: str) -> Ref:
        return Ref(canonical(f"{self.qualname}.{name}"))

    @property
    def last(self) -> str:
        return self.qualname.rpartition(".")[2]


def _star_exports(module: str, name: str) -> bool:
    """Whether `from module import *` is known to bind `name` (only Keras modules are known)."""
    if module == "keras.layers":
        return name[:1].isupper()
    if module == "keras.models":
        return name in ("Sequential", "Model", "load_model")
    return module in (
        "keras",
        "keras.losses",
        "keras.activations",
        "keras.applications",
    )


class Scope:
    """One function's (or the module's) bindings: name -> value, None meaning bound but unknown."""

    __slots__ = ("names", "parent", "stars")

    def __init__(self, parent: Scope | None = None) -> None:
        self.names: dict[str, object] = {}
        self.parent = parent
        self.stars: list[str] = []  # modules star-imported here, in import order

    def lookup(self, name: str) -> object:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names:
                return scope.names[name]
            for module in reversed(scope.stars):  # the last star import wins
                if module != "keras" and not module.startswith("keras."):
                    return None  # an unknown module could bind anything
                if _star_exports(module, name):
                    return Ref(f"{module}.{name}")
            scope = scope.parent
        return None

    def bind_import(self, node: cst.Import | cst.ImportFrom) -> None:
        """Bind the names an `import ...` or `from ... import ...` statement binds."""
        if isinstance(node, cst.Import):
            for alias in node.names:
                dotted = _dotted(alias.name)
                if alias.asname is not None:  # import a.b.c as x
                    self.names[_asname(alias)] = Ref(canonical(dotted))
                else:  # import a.b.c binds a
                    top = dotted.partition(".")[0]
                    self.names[top] = Ref(canonical(top))
            return
        module = import_module(node)  # None for relative imports: names bound, values unknown
        if isinstance(node.names, cst.ImportStar):
            self.stars.append(module or ".")
            return
        for alias in node.names:
            dotted = _dotted(alias.name)
            target = _asname(alias) if alias.asname is not None else dotted
            self.names[target] = Ref(canonical(f"{module}.{dotted}")) if module else None


def _asname(alias) -> str:
    return alias.asname.name.value


def _dotted(node) -> str:
    if isinstance(node, cst.Name):
        return node.value
    return f"{_dotted(node.value)}.{node.attr.value}"


def import_module(node) -> str | None:
    """The absolute module of a `from ... import` statement; None for relative imports."""
    if node.relative or node.module is None:
        return None
    return canonical(_dotted(node.module))


# A pasted snippet with no import at all (`model = Sequential([Dense(...)])`): the usual Keras
# names mean Keras there. Only such files are read this way; one import and names are what
# the imports say.
_USUAL_KERAS = {
    "keras": "keras",
    "layers": "keras.layers",
    "models": "keras.models",
    "optimizers": "keras.optimizers",
    "Sequential": "keras.Sequential",
    "Model": "keras.Model",
    "Input": "keras.Input",
}


def pasted_keras(source: str) -> bool:
    """Whether a file without imports calls the usual Keras names (cheap, on the text)."""
    return "import" not in source and any(
        f"{name}(" in source for name in ("Sequential", "Dense", "LSTM", "Model", "Input")
    )


def usual_keras_scope() -> Scope:
    """A module scope with the usual Keras names bound, for a pasted snippet."""
    scope = Scope()
    scope.names.update({name: Ref(qualname) for name, qualname in _USUAL_KERAS.items()})
    scope.stars.append("keras.layers")  # Dense, LSTM, Conv2D...
    return scope
