"""The `kgen` command line. Heavy modules are imported inside each command so that
`kgen lint` never pays for the generator's imports and vice versa."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

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
    task: Optional[str] = typer.Option(
        None, "--task", help="binary, multiclass, multilabel or regression."
    ),
    data: Optional[str] = typer.Option(
        None, "--data", help="vector, image, text, audio, timeseries, video or volume."
    ),
    arch: Optional[str] = typer.Option(
        None, "--arch", help="Model architecture; default: the modality's first choice (see --list)."
    ),
    labels: Optional[str] = typer.Option(
        None, "--labels", help="multiclass label encoding: int (default) or onehot."
    ),
    output: Path = typer.Option(Path("train.py"), "-o", "--output", help="Where to write the script."),
    force: bool = typer.Option(False, "--force", help="Overwrite the output file if it exists."),
    list_: bool = typer.Option(False, "--list", help="Print the supported task x data matrix and exit."),
) -> None:
    """Write a complete, runnable Keras 3 training script for a task and a data modality."""
    from kgen import generate

    try:
        if list_:
            typer.echo(generate.matrix_table())
            return
        if task is None or data is None:
            raise KgenError("--task and --data are required (see `kgen new --list`)")
        spec = generate.ScriptSpec.build(task=task, data=data, arch=arch, labels=labels)
        generate.write_script(generate.render(spec), output, force=force)
    except KgenError as exc:
        fail(str(exc))
    typer.echo(f"wrote {output} ({spec.title}); try it: python {output} --synthetic 256")
