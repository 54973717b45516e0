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
def main(
    version: Annotated[
        bool, typer.Option("--version", "-V", help="Print kgen's version and exit.")
    ] = False,
) -> None:
    """Generate correct Keras 3 training scripts, and lint the ones you have."""
    if version:  # `kgen --version` alone never gets here (kgen.launch answers it)
        from kgen import __version__

        typer.echo(f"kgen {__version__}")
        raise typer.Exit()


@app.command()
def new(
    task: Annotated[
        str | None,
        typer.Option(help="binary, multiclass, multilabel, regression, forecast or tagging."),
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
    pretrained: Annotated[
        str | None,
        typer.Option(
            help="Images: transfer learning from a keras.applications base "
            "(MobileNetV3Small, EfficientNetB0 or ResNet50) instead of --arch."
        ),
    ] = None,
    spec_file: Annotated[
        Path | None,
        typer.Option(
            "--spec",
            help="A TOML file describing the model's named inputs and outputs (format: the "
            "README's 'Spec files'), instead of --task, --data, --arch, --labels and --pretrained.",
        ),
    ] = None,
    output: Annotated[
        Path,
        typer.Option("-o", "--output", help="Where to write the script ('-': standard output)."),
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
        if spec_file is not None:
            if any(option is not None for option in (task, data, arch, labels, pretrained)):
                raise KgenError(
                    "--spec replaces --task, --data, --arch, --labels and --pretrained; "
                    "give one or the other"
                )
            from kgen.spec_file import load_spec

            spec = load_spec(spec_file)
        elif task is None or data is None:
            raise KgenError("--task and --data are both required (see `kgen new --list`)")
        else:
            spec = generate.ScriptSpec.build(task, data, arch, labels, pretrained)
        generate.write_script(generate.render(spec), output, force=force)
    except KgenError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    except Exception as exc:  # noqa: BLE001 - a kgen bug still gets one line, not a traceback
        first_line = (str(exc).splitlines() or [""])[0]
        fail(f"internal error: {type(exc).__name__}: {first_line} (please report it)")
    if str(output) == "-":  # the script alone on standard output
        return
    typer.echo(f"wrote {output}: {spec.title}")
    typer.echo(f"try it: python {output} --synthetic 256")


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def lint(ctx: typer.Context) -> None:
    """Check Keras scripts and notebooks for model bugs, statically (`kgen lint --help`)."""
    from kgen.lint.cli import main as lint_main

    raise typer.Exit(lint_main(ctx.args))


@app.command()
def server(
    stdio: Annotated[
        bool, typer.Option("--stdio", help="Stdio is the only transport; LSP clients add this.")
    ] = False,
) -> None:
    """Run the language server (LSP over stdio) that shows kgen's findings in an editor."""
    from kgen.lint.server import main as serve

    raise typer.Exit(serve())


@app.command()
def rules() -> None:
    """List the lint rules: code, name, default severity, fix, summary."""
    from kgen.lint.rule import all_rules

    for rule in all_rules():
        typer.echo(
            f"{rule.CODE}  {rule.NAME:<30}  {rule.SEVERITY:<7}  {rule.FIX or '-':<6}  {rule.SUMMARY}"
        )


@app.command()
def explain(code: Annotated[str, typer.Argument(help="A rule code (KG001) or name.")]) -> None:
    """Print a rule's documentation."""
    from kgen.lint.docs import explain as page
    from kgen.lint.rule import all_rules

    rule = next((r for r in all_rules() if code.upper() == r.CODE or code.lower() == r.NAME), None)
    if rule is None:
        fail(f"unknown rule {code!r} (see `kgen rules`)")
    typer.echo(page(rule), nl=False)


@app.command()
def summary(
    path: Annotated[
        Path, typer.Argument(help="A Python script or notebook that builds Keras models.")
    ],
) -> None:
    """Print each model's layers, output shapes and parameter counts, computed from the
    source like model.summary() (no TensorFlow; `?` where the source does not say)."""
    from kgen.lint.summary import summarize_file

    try:
        typer.echo(summarize_file(path))
    except KgenError as exc:
        fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - a kgen bug still gets one line, not a traceback
        fail(f"{path}: internal error: {type(exc).__name__}: {exc} (please report it)")
