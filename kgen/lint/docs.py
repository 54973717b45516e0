"""Each rule's documentation: the page `kgen explain` prints, the Markdown file it is published
as (docs/rules/KG001.md) and that page's URL (SARIF helpUri, JSON `url`, the editor's link).

`python -m kgen.lint.docs` rewrites docs/rules/ from the rules' docstrings; run it after adding
or changing a rule (a test fails while the committed pages differ from what it writes)."""

from __future__ import annotations

import sys
from pathlib import Path

# Where docs/rules/ is published: the repository's main branch.
DOCS_BASE_URL = "https://github.com/kgen-dev/kgen/blob/main/docs/rules/"

_FIXES = {
    None: "No fix is available.",
    "safe": "Fix is always available.",
    "unsafe": "Fix is available as an unsafe fix (--unsafe-fixes).",
}


def rule_url(code: str) -> str:
    return f"{DOCS_BASE_URL}{code}.md"


def explain(rule) -> str:
    """A rule's page, from its docstring: what `kgen explain` prints and docs/rules/ holds."""
    return (
        f"# {rule.NAME} ({rule.CODE})\n\n"
        f"Default severity: {rule.SEVERITY}. {_FIXES[rule.FIX]}\n\n{rule.doc()}\n"
    )


def pages() -> dict[str, str]:
    """File name -> content of every page docs/rules/ should hold."""
    from kgen.lint.rule import all_rules

    rules = all_rules()
    index = ["# kgen lint rules\n"]
    index += [f"- [{r.CODE}]({r.CODE}.md) `{r.NAME}`: {r.SUMMARY}" for r in rules]
    return {"README.md": "\n".join(index) + "\n", **{f"{r.CODE}.md": explain(r) for r in rules}}


def write(directory: Path) -> list[str]:
    """Make `directory` hold exactly the rule pages; return the names written or removed."""
    directory.mkdir(parents=True, exist_ok=True)
    wanted = pages()
    changed = []
    for name, content in wanted.items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
            changed.append(name)
    for stale in sorted(directory.glob("*.md")):
        if stale.name not in wanted:
            stale.unlink()
            changed.append(stale.name)
    return changed


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/rules")
    for name in write(target):
        print(f"updated {target / name}")
