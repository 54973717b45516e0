"""`kgen server`: kgen's findings in an editor, over the Language Server Protocol (stdio).

Built on pygls 2 (lsprotocol's types, the document and notebook synchronisation done for us)
and on the same `runner.Linter` as `kgen lint`: one engine, one configuration lookup. The
process stays up for the editor's session, so every edit re-lints with the rules, libcst and
the settings already loaded. Like `kgen lint`, it never imports or runs the code it checks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace.position_codec import ServerTextPosition, ServerTextRange

from kgen import __version__
from kgen.errors import KgenError
from kgen.lint.docs import explain, rule_url
from kgen.lint.runner import Finding, Linter

FIX_ALL = f"{types.CodeActionKind.SourceFixAll.value}.kgen"
_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
}


@dataclass(frozen=True)
class Published:
    """A finding as the editor was shown it."""

    finding: Finding
    diagnostic: types.Diagnostic


class KgenServer(LanguageServer):
    def __init__(self) -> None:
        cells = [types.NotebookCellLanguage(language="python")]
        super().__init__(
            "kgen",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            notebook_document_sync=types.NotebookDocumentSyncOptions(
                notebook_selector=[
                    types.NotebookDocumentFilterWithCells(cells=cells, notebook="jupyter-notebook")
                ],
                save=True,
            ),
        )
        self.linter = Linter(jobs=1, cache=False)
        self.published: dict[str, list[Published]] = {}  # by document (or notebook cell) URI

    # Linting ---------------------------------------------------------------------------------

    def lint_document(self, uri: str) -> None:
        document = self.workspace.get_text_document(uri)
        findings = self._lint(_path(uri, ".py"), document.source)
        self._publish(uri, findings)

    def lint_notebook(self, notebook_uri: str) -> None:
        """A notebook's code cells joined, as `kgen lint` reads an .ipynb file; each finding is
        published on its cell's document."""
        cells, as_file = self._notebook_file(notebook_uri)
        findings = self._lint(_path(notebook_uri, ".ipynb"), as_file)
        for number, uri in enumerate(cells, start=1):
            self._publish(uri, [f for f in findings if f.cell == number])

    def _notebook_file(self, notebook_uri: str) -> tuple[list[str], str]:
        """The URIs of a notebook's Python code cells, and the notebook as an .ipynb file's
        text holding just those cells (what `kgen lint` reads)."""
        notebook = self.workspace.get_notebook_document(notebook_uri=notebook_uri)
        cells = [
            cell.document
            for cell in (notebook.cells or [] if notebook else [])
            if cell.kind == types.NotebookCellKind.Code
            and self.workspace.get_text_document(cell.document).language_id in (None, "python")
        ]
        sources = [self.workspace.get_text_document(uri).source for uri in cells]
        as_file = {"cells": [{"cell_type": "code", "source": text} for text in sources]}
        return cells, json.dumps(as_file)

    def _lint(self, path: Path, text: str) -> list[Finding]:
        try:
            return self.linter.lint_text(path, text).outcome.findings
        except KgenError as exc:  # a broken [tool.kgen.lint]: say so, keep serving
            self.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Error, message=f"kgen: {exc}")
            )
            return []

    def _publish(self, uri: str, findings: list[Finding]) -> None:
        document = self.workspace.get_text_document(uri)
        published = [Published(f, _diagnostic(f, document)) for f in findings]
        self.published[uri] = published
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=uri,
                diagnostics=[p.diagnostic for p in published],
                version=document.version,
            )
        )

    def lint_any(self, uri: str) -> None:
        """Re-lint whatever `uri` is part of: a notebook (through one of its cells) or a file."""
        notebook = self.workspace.get_notebook_document(cell_uri=uri)
        if notebook is not None:
            self.lint_notebook(notebook.uri)
        else:
            self.lint_document(uri)

    def reload_configuration(self) -> None:
        """A pyproject.toml changed: forget the settings read so far and re-lint what is open."""
        self.linter = Linter(jobs=1, cache=False)
        for uri in list(self.workspace.text_documents):
            if self.workspace.get_notebook_document(cell_uri=uri) is None and _is_python(uri):
                self.lint_document(uri)
        for uri in list(self.workspace.notebook_documents):
            self.lint_notebook(uri)

    # Fixes -----------------------------------------------------------------------------------

    def quick_fix(self, uri: str, item: Published) -> types.CodeAction | None:
        document = self.workspace.get_text_document(uri)
        notebook = self.workspace.get_notebook_document(cell_uri=uri)
        if notebook is None:
            edit = self.linter.fix_one(_path(uri, ".py"), document.source, item.finding)
        else:  # the edit comes back in the cell's own text
            _, as_file = self._notebook_file(notebook.uri)
            edit = self.linter.fix_one(_path(notebook.uri, ".ipynb"), as_file, item.finding)
        if edit is None:
            return None
        finding = item.finding
        unsafe = finding.fix_applicability != "safe"
        text_edit = types.TextEdit(
            range=_range(document, edit.line, edit.column, edit.end_line, edit.end_column),
            new_text=edit.new_text,
        )
        return types.CodeAction(
            title=f"{finding.code}: {finding.fix}" + (" (unsafe fix)" if unsafe else ""),
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[item.diagnostic],
            is_preferred=not unsafe,
            edit=types.WorkspaceEdit(changes={uri: [text_edit]}),
        )

    def fix_all(self, uri: str) -> types.CodeAction | None:
        """Every safe fix of a file at once, as `kgen lint --fix` would make them."""
        if self.workspace.get_notebook_document(cell_uri=uri) is not None:
            return None  # a notebook's fixes span cells: `kgen lint --fix` writes them
        document = self.workspace.get_text_document(uri)
        fixed = self.linter.lint_text(_path(uri, ".py"), document.source, fix=True).text
        if fixed == document.source:
            return None
        whole = _range(document, 1, 1, len(document.lines) + 1, 1)
        return types.CodeAction(
            title="kgen: fix all safely fixable findings",
            kind=FIX_ALL,
            edit=types.WorkspaceEdit(changes={uri: [types.TextEdit(range=whole, new_text=fixed)]}),
        )


def _path(uri: str, suffix: str) -> Path:
    """The file a document stands for: its path on disk, or (an unsaved buffer) a name in
    the current directory, whose configuration then applies."""
    path = to_fs_path(uri)
    if path is None:
        path = uri.rsplit("/", 1)[-1] or "untitled"
    path = Path(path)
    return path if path.suffix in (".py", ".pyi", ".ipynb") else path.with_name(path.name + suffix)


def _is_python(uri: str) -> bool:
    return uri.endswith((".py", ".pyi"))


def _range(document, line: int, column: int, end_line: int, end_column: int) -> types.Range:
    """1-based, end-exclusive character positions -> an LSP range in the client's units."""
    server_range = ServerTextRange(
        ServerTextPosition(line - 1, column - 1), ServerTextPosition(end_line - 1, end_column - 1)
    )
    return document.range_to_client_units(server_range)


def _diagnostic(finding: Finding, document) -> types.Diagnostic:
    message = finding.message + (f"\nhelp: {finding.hint}" if finding.hint else "")
    return types.Diagnostic(
        range=_range(document, finding.line, finding.column, finding.end_line, finding.end_column),
        message=message,
        severity=_SEVERITY[finding.severity],
        code=finding.code,
        code_description=types.CodeDescription(href=rule_url(finding.code)),
        source="kgen",
        data={"fix": finding.fix, "applicability": finding.fix_applicability},
    )


def _overlaps(a: types.Range, b: types.Range) -> bool:
    def key(p: types.Position) -> tuple[int, int]:
        return (p.line, p.character)

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def _wanted(only: list[str] | None, kind: str) -> bool:
    return not only or any(kind == k or kind.startswith(k + ".") for k in only)


def build() -> KgenServer:
    server = KgenServer()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: KgenServer, params: types.DidOpenTextDocumentParams) -> None:
        if params.text_document.language_id == "python" or _is_python(params.text_document.uri):
            ls.lint_document(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: KgenServer, params: types.DidChangeTextDocumentParams) -> None:
        if params.text_document.uri in ls.published:
            ls.lint_document(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: KgenServer, params: types.DidSaveTextDocumentParams) -> None:
        if params.text_document.uri.endswith("pyproject.toml"):
            ls.reload_configuration()
        elif params.text_document.uri in ls.published:
            ls.lint_document(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: KgenServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        if ls.published.pop(uri, None) is not None:
            ls.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
            )

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched(ls: KgenServer, params: types.DidChangeWatchedFilesParams) -> None:
        if any(change.uri.endswith("pyproject.toml") for change in params.changes):
            ls.reload_configuration()

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    def notebook_open(ls: KgenServer, params: types.DidOpenNotebookDocumentParams) -> None:
        ls.lint_notebook(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def notebook_change(ls: KgenServer, params: types.DidChangeNotebookDocumentParams) -> None:
        ls.lint_notebook(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)
    def notebook_save(ls: KgenServer, params: types.DidSaveNotebookDocumentParams) -> None:
        ls.lint_notebook(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def notebook_close(ls: KgenServer, params: types.DidCloseNotebookDocumentParams) -> None:
        for cell in params.cell_text_documents:
            if ls.published.pop(cell.uri, None) is not None:
                ls.text_document_publish_diagnostics(
                    types.PublishDiagnosticsParams(uri=cell.uri, diagnostics=[])
                )

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL], resolve_provider=False
        ),
    )
    def code_action(ls: KgenServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        only = [str(getattr(k, "value", k)) for k in params.context.only or []] or None
        actions = []
        if _wanted(only, types.CodeActionKind.QuickFix.value):
            for item in ls.published.get(uri, []):
                if item.finding.fix and _overlaps(item.diagnostic.range, params.range):
                    action = ls.quick_fix(uri, item)
                    if action is not None:
                        actions.append(action)
        if _wanted(only, FIX_ALL) and uri in ls.published:
            action = ls.fix_all(uri)
            if action is not None:
                actions.append(action)
        return actions

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: KgenServer, params: types.HoverParams) -> types.Hover | None:
        from kgen.lint.rule import rule_by_code

        here = types.Range(start=params.position, end=params.position)
        items = [
            item
            for item in ls.published.get(params.text_document.uri, [])
            if _overlaps(item.diagnostic.range, here)
        ]
        if not items:
            return None
        codes = dict.fromkeys(item.finding.code for item in items)  # each rule once, in order
        pages = [explain(rule) for code in codes if (rule := rule_by_code(code))]
        return types.Hover(
            contents=types.MarkupContent(
                kind=types.MarkupKind.Markdown, value="\n---\n\n".join(pages)
            ),
            range=items[0].diagnostic.range,
        )

    return server


def main() -> int:
    build().start_io()
    return 0
