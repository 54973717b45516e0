"""Which loss each model output is compiled with, read against the head/loss table."""

from __future__ import annotations

from collections.abc import Iterator

from kgen.heads import Loss, find_loss
from kgen.lint.models import DEFAULT, Const, Instance, Mapping, Node, Seq
from kgen.lint.resolve import Ref


def loss_of(value) -> tuple[Loss, bool | None] | None:
    """The table entry of a loss given as a string, class, function or instance, and whether
    it takes logits (None when that cannot be known)."""
    if isinstance(value, Const) and isinstance(value.value, str):
        loss = find_loss(value.value)
        return (loss, False) if loss else None
    if isinstance(value, Ref) and value.qualname.startswith("keras.losses."):
        loss = find_loss(value.last)
        return (loss, False) if loss else None
    if isinstance(value, Instance) and value.qualname.startswith("keras.losses."):
        loss = find_loss(value.qualname.rpartition(".")[2])
        if loss is None:
            return None
        from_logits = value.param("from_logits")
        if from_logits is DEFAULT:
            return loss, False
        if isinstance(from_logits, Const) and isinstance(from_logits.value, bool):
            return loss, from_logits.value
        return loss, None
    return None


def outputs_with_losses(model, loss) -> Iterator[tuple[str | None, Node | None, object]]:
    """Pair each output with its loss: one loss for all, a list by position, a dict by name."""
    if isinstance(loss, Mapping):
        by_name = {name: node for name, node in model.outputs if name is not None}
        for key, value in loss.items:
            if isinstance(key, Const) and key.value in by_name:
                yield key.value, by_name[key.value], value
    elif isinstance(loss, Seq):
        if len(loss.items) == len(model.outputs):
            for (name, node), value in zip(model.outputs, loss.items):
                yield name, node, value
    else:
        for name, node in model.outputs:
            yield name, node, loss
