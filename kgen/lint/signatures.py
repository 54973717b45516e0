"""Which keyword arguments Keras 3 accepts, and what a keyword it rejects was in Keras 1/2.

Reads the generated tables (`keras_signatures.py` from the installed Keras 3,
`keras2_signatures.py` from Keras 2 wheels; `python -m kgen.lint.gen_signatures`).
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

from kgen.lint import keras2_signatures as keras2
from kgen.lint import keras_signatures as keras3

# Keras 2 still took these through **kwargs with a deprecation warning (invisible in its
# signatures): Keras 3 rejects them.
_KERAS2_LEGACY = {
    "keras.optimizers": {"lr": "learning_rate"},
    "keras.Model.fit": {"nb_epoch": "epochs"},
}


class Rejected(NamedTuple):
    """A keyword Keras 3 rejects: `era` is "keras1", "keras2" or None (never a Keras keyword)."""

    keyword: str
    era: str | None
    replacement: str | None  # the Keras 3 keyword with the same meaning, when there is one


@cache
def _names(text: str) -> frozenset[str]:
    """The tables store each name list as one space-separated string: cheap to import."""
    return frozenset(text.split())


def canonical(qualname: str) -> str:
    """`keras.layers.Convolution2D` -> `keras.layers.Conv2D`: the table's key for a class."""
    return keras3.ALIASES.get(qualname, qualname)


def accepted(qualname: str) -> frozenset[str] | None:
    """The keywords Keras 3 accepts there; None when unknown or open (**kwargs passed on)."""
    text = keras3.KEYWORDS.get(canonical(qualname))
    return None if text is None else _names(text)


def rejected(qualname: str, keyword: str) -> Rejected | None:
    """Why Keras 3 rejects this keyword of this class or method; None when it accepts it or
    when the table cannot tell."""
    known = accepted(qualname)
    if known is None or keyword in known:
        return None
    key = canonical(qualname)
    for scope, legacy in _KERAS2_LEGACY.items():
        if (key == scope or key.startswith(scope + ".")) and keyword in legacy:
            return Rejected(keyword, "keras1", legacy[keyword])
    renames = keras2.KERAS1_RENAMES.get(key, {})
    if keyword in renames:
        new = renames[keyword]
        return Rejected(keyword, "keras1", new if new in known else None)
    if keyword in _names(keras2.KEYWORDS.get(key, "")):
        return Rejected(keyword, "keras2", None)
    return Rejected(keyword, None, None)


def forwarded(qualname: str) -> tuple[str, dict[str, str]] | None:
    """A Keras 2 method Keras 3 dropped and the one it forwarded to, with its parameters'
    names there: `fit_generator(generator=...)` was `fit(x=...)`."""
    return keras2.FORWARDS.get(qualname)


def removed_attribute(name: str, tensor: bool) -> str | None:
    """Why `obj.name` fails in Keras 3 for a layer (or a tensor); None when it exists."""
    if tensor and name in _names(keras2.KERAS1_TENSOR_ATTRIBUTES):
        return f"{name} was a Keras 1 tensor attribute; Keras 3 tensors have .shape"
    removed = _names(keras2.LAYER_ATTRIBUTES) - _names(keras3.LAYER_ATTRIBUTES)
    if not tensor and name in removed:
        if name in ("input_shape", "output_shape"):
            side = name.partition("_")[0]
            return f"layer.{name} was removed in Keras 3: use layer.{side}.shape"
        return f"layer.{name} was removed in Keras 3"
    return None


def keras2_on_purpose(module) -> bool:
    """Whether a module imports `tf_keras` (Keras 2 kept alive): its API is valid there."""
    import libcst as cst

    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Import):
                names = [cst.Module([]).code_for_node(a.name) for a in small.names]
            elif isinstance(small, cst.ImportFrom) and small.module is not None:
                names = [cst.Module([]).code_for_node(small.module)]
            else:
                continue
            if any(name.split(".")[0] == "tf_keras" for name in names):
                return True
    return False
