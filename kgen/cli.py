"""The `kgen` command line. Heavy modules are imported inside each command so that
`kgen lint` never pays for the generator's imports and vice versa."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kgen.errors import KgenError

app = typer.Typer(
    name="kgen",
    help="Generate correct Keras 3 training scripts, and lint the ones you have.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def fail(message: str) -> None:
    """Print a one-line error and exit 2, ruff-style."""
    typer.echo(f"kgen: error: {message}", err=True)
    raise typer.Exit(2)


@app.callback()
def main() -> None:
    """Generate correct Keras 3 training scripts, and lint the ones you have."""


@app.command()
def new(
    task: Annotated[
        str | None, typer.Option(help="binary, multiclass, multilabel or regression.")
    ] = None,
    data: Annotated[
        str | None,
        typer.Option(help="vector, image, text, audio, timeseries, video or volume."),
    ] = None,
    arch: Annotated[
        str | None,
        typer.Option(help="Model architecture; default: the modality's first choice (see --list)."),
    ] = None,
    labels: Annotated[
        str | None, typer.Option(help="Multiclass label encoding: int (default) or onehot.")
    ] = None,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Where to write the script.")
    ] = Path("train.py"),
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the output file if it exists.")
    ] = False,
    list_: Annotated[
        bool, typer.Option("--list", help="Print the supported task x data matrix and exit.")
    ] = False,
) -> None:
    """Write a complete, runnable Keras 3 training script for a task and a data modality."""
    from kgen import generate

    if list_:
        typer.echo(generate.matrix_table())
        return
    try:
        if task is None or data is None:
            raise KgenError("--task and --data are both required (see `kgen new --list`)")
        spec = generate.ScriptSpec.build(task=task, data=data, arch=arch, labels=labels)
        generate.write_script(generate.render(spec), output, force=force)
    except KgenError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    typer.echo(f"wrote {output}: {spec.title}")
    typer.echo(f"try it: python {output} --synthetic 256")
