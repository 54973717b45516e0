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
    task: str | None = typer.Option(
        None, "--task", help="binary, multiclass, multilabel or regression."
    ),
    data: str | None = typer.Option(
        None, "--data", help="vector, image, text, audio, timeseries, video or volume."
    ),
    arch: str | None = typer.Option(
        None, "--arch", help="Model architecture; default: the modality's first choice (see --list)."
    ),
    labels: str | None = typer.Option(
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


@app.command()
def lint(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or directories (recursive). Default: the current directory."),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", "--output-format", help="text, json, sarif or github.")
    ] = "text",
    select: Annotated[
        list[str] | None,
        typer.Option("--select", help="Rule codes or prefixes to enable (comma-separated)."),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option("--ignore", help="Rule codes or prefixes to disable (comma-separated)."),
    ] = None,
    fix: Annotated[bool, typer.Option("--fix", help="Apply safe fixes.")] = False,
    unsafe_fixes: Annotated[
        bool, typer.Option("--unsafe-fixes", help="Also apply (and show as fixable) unsafe fixes.")
    ] = False,
    diff: Annotated[
        bool, typer.Option("--diff", help="Print the fixes as a diff; write nothing.")
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="A pyproject.toml to use instead of the one found."),
    ] = None,
) -> None:
    """Check Keras scripts and notebooks for model bugs, statically (never imports them)."""
    from kgen.lint import formats
    from kgen.lint.config import split_selectors
    from kgen.lint.runner import Linter, exit_code

    try:
        if output_format not in formats.FORMATS:
            raise KgenError(f"unknown format {output_format!r}; use one of {', '.join(formats.FORMATS)}")
        linter = Linter(split_selectors(select), split_selectors(ignore), config)
        outcome = linter.run(paths or [Path(".")], fix=fix, unsafe_fixes=unsafe_fixes, diff=diff)
    except KgenError as exc:
        fail(str(exc))
    for error in outcome.errors:
        typer.echo(f"kgen: error: {error}", err=True)
    if diff:
        if outcome.diffs:
            typer.echo("".join(outcome.diffs), nl=False)
        count = outcome.fixed
        typer.echo(f"Would fix {count} finding{'s' if count != 1 else ''}.", err=True)
    elif output_format == "text":
        typer.echo(formats.text(outcome, unsafe_fixes))
    else:
        typer.echo(getattr(formats, {"json": "as_json"}.get(output_format, output_format))(outcome))
    raise typer.Exit(exit_code(outcome, diff))


@app.command()
def rules() -> None:
    """List the lint rules: code, name, default severity, fix, summary."""
    from kgen.lint.rule import all_rules

    for rule in all_rules():
        typer.echo(f"{rule.CODE}  {rule.NAME:<30}  {rule.SEVERITY:<7}  {rule.FIX or '-':<6}  {rule.SUMMARY}")


@app.command()
def explain(code: Annotated[str, typer.Argument(help="A rule code (KG001) or name.")]) -> None:
    """Print a rule's documentation."""
    from kgen.lint.rule import all_rules

    rule = next((r for r in all_rules() if code.upper() == r.CODE or code.lower() == r.NAME), None)
    if rule is None:
        fail(f"unknown rule {code!r} (see `kgen rules`)")
    fixes = {None: "No fix is available.", "safe": "Fix is always available.",
             "unsafe": "Fix is available as an unsafe fix (--unsafe-fixes)."}  # fmt: skip
    typer.echo(
        f"# {rule.NAME} ({rule.CODE})\n\nDefault severity: {rule.SEVERITY}. {fixes[rule.FIX]}\n\n{rule.doc()}"
    )
