"""`kgen server` driven by a real LSP client (pygls's) over stdio: the server runs as its own
process (`python -m kgen server`), exactly as an editor starts it."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from contextlib import asynccontextmanager
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

SCRIPT = textwrap.dedent("""\
    from keras import layers, Sequential

    model = Sequential([layers.Input((None, 4)), layers.LSTM(32), layers.LSTM(16)])
    model.add(layers.Dense(3, activation="sigmoid"))
    model.compile(loss="categorical_crossentropy")
    """)
CONV = textwrap.dedent("""\
    import keras
    from keras import layers
    inputs = keras.Input(shape=(64, 64, 3))
    x = layers.Conv2D(32, 3)(inputs)
    x = layers.Conv2D(64, 3)(x)
    model = keras.Model(inputs, x)
    """)
TIMEOUT = 60  # seconds for any one answer: a loaded CI machine, never a hang


def lsp_range(line: int, character: int, end_line: int, end_character: int) -> types.Range:
    return types.Range(
        start=types.Position(line=line, character=character),
        end=types.Position(line=end_line, character=end_character),
    )


def apply_edits(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP text edits (ASCII text: characters are UTF-16 units) as an editor would."""
    lines = text.splitlines(keepends=True)

    def offset(position: types.Position) -> int:
        return sum(len(line) for line in lines[: position.line]) + position.character

    for edit in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        start, end = offset(edit.range.start), offset(edit.range.end)
        text = text[:start] + edit.new_text + text[end:]
    return text


class Session:
    """A client with the diagnostics the server published, per URI, as they arrive."""

    def __init__(self, client: LanguageClient) -> None:
        self.client = client
        self.arrived: dict[str, asyncio.Queue] = {}

    def queue(self, uri: str) -> asyncio.Queue:
        return self.arrived.setdefault(uri, asyncio.Queue())

    async def diagnostics(self, uri: str) -> list[types.Diagnostic]:
        params = await asyncio.wait_for(self.queue(uri).get(), TIMEOUT)
        return list(params.diagnostics)

    def open(self, path: Path, text: str) -> str:
        uri = path.as_uri()
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=text
                )
            )
        )
        return uri


@asynccontextmanager
async def server(root: Path):
    client = LanguageClient("kgen-tests", "1")
    session = Session(client)

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(params: types.PublishDiagnosticsParams) -> None:
        session.queue(params.uri).put_nowait(params)

    await client.start_io(sys.executable, "-m", "kgen", "server", cwd=str(root))
    capabilities = types.ClientCapabilities(
        notebook_document=types.NotebookDocumentClientCapabilities(
            synchronization=types.NotebookDocumentSyncClientCapabilities()
        )
    )
    result = await asyncio.wait_for(
        client.initialize_async(
            types.InitializeParams(
                capabilities=capabilities,
                root_uri=root.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="project")],
            )
        ),
        TIMEOUT,
    )
    assert result.server_info.name == "kgen"
    assert result.capabilities.notebook_document_sync is not None
    client.initialized(types.InitializedParams())
    yield session
    await asyncio.wait_for(client.shutdown_async(None), TIMEOUT)
    client.exit(None)
    await asyncio.wait_for(client.stop(), TIMEOUT)
    assert client._server.returncode == 0  # a clean exit after shutdown, per the protocol


def by_code(diagnostics: list[types.Diagnostic]) -> dict[str, types.Diagnostic]:
    return {d.code: d for d in diagnostics}


def test_diagnostics_change_code_action_and_shutdown(tmp_path):
    async def scenario():
        async with server(tmp_path) as session:
            client = session.client
            uri = session.open(tmp_path / "train.py", SCRIPT)

            found = by_code(await session.diagnostics(uri))
            assert set(found) == {"KG001", "KG002"}
            assert found["KG002"].range == lsp_range(2, 45, 2, 60)
            assert found["KG001"].range == lsp_range(3, 10, 3, 47)
            assert found["KG001"].severity == types.DiagnosticSeverity.Error
            assert found["KG001"].source == "kgen"
            assert found["KG001"].message.startswith("sigmoid output with categorical")
            assert "\nhelp: single-label multiclass outputs" in found["KG001"].message
            assert found["KG002"].code_description.href.endswith("/docs/rules/KG002.md")

            # Fix KG001 by hand, with an incremental change: only KG002 is left.
            start = SCRIPT.splitlines()[3].index("sigmoid")
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                    content_changes=[
                        types.TextDocumentContentChangePartial(
                            range=lsp_range(3, start, 3, start + len("sigmoid")), text="softmax"
                        )
                    ],
                )
            )
            left = await session.diagnostics(uri)
            assert [d.code for d in left] == ["KG002"]
            text = SCRIPT.replace("sigmoid", "softmax")

            hover = await asyncio.wait_for(
                client.text_document_hover_async(
                    types.HoverParams(
                        text_document=types.TextDocumentIdentifier(uri=uri),
                        position=types.Position(line=2, character=50),
                    )
                ),
                TIMEOUT,
            )
            assert hover.contents.value.startswith("# rnn-missing-return-sequences (KG002)")
            assert "## Why is this bad?" in hover.contents.value

            actions = await asyncio.wait_for(
                client.text_document_code_action_async(
                    types.CodeActionParams(
                        text_document=types.TextDocumentIdentifier(uri=uri),
                        range=left[0].range,
                        context=types.CodeActionContext(diagnostics=left),
                    )
                ),
                TIMEOUT,
            )
            kinds = {action.kind: action for action in actions}
            quick = kinds[types.CodeActionKind.QuickFix]
            assert quick.title == "KG002: add return_sequences=True"
            assert quick.is_preferred
            assert kinds["source.fixAll.kgen"].edit.changes[uri]
            fixed = apply_edits(text, quick.edit.changes[uri])
            assert "layers.LSTM(32, return_sequences=True), layers.LSTM(16)" in fixed
            # Only the fix's own characters were replaced.
            assert quick.edit.changes[uri][0].new_text == ", return_sequences=True"

            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=fixed)],
                )
            )
            assert await session.diagnostics(uri) == []

            # The code is read, never run: a script that would write a file does not.
            runs = session.open(tmp_path / "runs.py", 'open("executed", "w")\n' + SCRIPT)
            assert len(await session.diagnostics(runs)) == 2
            assert not (tmp_path / "executed").exists()

    asyncio.run(scenario())


def test_notebook_document_and_project_configuration(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.kgen.lint]\nignore = ["KG001"]\n')

    async def scenario():
        async with server(tmp_path) as session:
            client = session.client
            # The project's [tool.kgen.lint] ignores KG001 for its own files only.
            inside = session.open(project / "train.py", SCRIPT)
            outside = session.open(tmp_path / "train.py", SCRIPT)
            assert [d.code for d in await session.diagnostics(inside)] == ["KG002"]
            assert {d.code for d in await session.diagnostics(outside)} == {"KG001", "KG002"}
            # The configuration changes and is saved: open files are linted again under it.
            (project / "pyproject.toml").write_text('[tool.kgen.lint]\nignore = ["KG00"]\n')
            client.text_document_did_save(
                types.DidSaveTextDocumentParams(
                    text_document=types.TextDocumentIdentifier(
                        uri=(project / "pyproject.toml").as_uri()
                    )
                )
            )
            assert await session.diagnostics(inside) == []

            # An unsafe fix is offered, labelled, and not preferred; info maps to Information.
            conv = session.open(tmp_path / "conv.py", CONV)
            [info] = await session.diagnostics(conv)
            assert (info.code, info.severity) == ("KG003", types.DiagnosticSeverity.Information)
            actions = await asyncio.wait_for(
                client.text_document_code_action_async(
                    types.CodeActionParams(
                        text_document=types.TextDocumentIdentifier(uri=conv),
                        range=info.range,
                        context=types.CodeActionContext(
                            diagnostics=[info], only=[types.CodeActionKind.QuickFix]
                        ),
                    )
                ),
                TIMEOUT,
            )
            [unsafe] = actions
            assert unsafe.title.endswith("(unsafe fix)") and not unsafe.is_preferred
            assert "SeparableConv2D" in apply_edits(CONV, unsafe.edit.changes[conv])

            # A notebook: the model is built in one cell and compiled in the next.
            notebook = (tmp_path / "analysis.ipynb").as_uri()
            cells = [f"{notebook}#cell{i}" for i in (1, 2, 3)]
            texts = [
                "from keras import layers, Sequential\n%matplotlib inline",
                (
                    "model = Sequential([layers.LSTM(8), layers.LSTM(4)])\n"
                    'model.add(layers.Dense(3, activation="sigmoid"))'
                ),
                'model.compile(loss="categorical_crossentropy")',
            ]
            client.notebook_document_did_open(
                types.DidOpenNotebookDocumentParams(
                    notebook_document=types.NotebookDocument(
                        uri=notebook,
                        notebook_type="jupyter-notebook",
                        version=1,
                        cells=[
                            types.NotebookCell(kind=types.NotebookCellKind.Code, document=cell)
                            for cell in cells
                        ],
                    ),
                    cell_text_documents=[
                        types.TextDocumentItem(uri=cell, language_id="python", version=1, text=t)
                        for cell, t in zip(cells, texts)
                    ],
                )
            )
            first, second, third = [await session.diagnostics(cell) for cell in cells]
            assert first == [] and third == []
            found = by_code(second)
            assert set(found) == {"KG001", "KG002"}
            # Positions within the cell, not within the joined notebook.
            assert found["KG002"].range == lsp_range(0, 20, 0, 34)
            assert found["KG001"].range == lsp_range(1, 10, 1, 47)

            # A cell is edited: the notebook is linted again, each cell published again.
            client.notebook_document_did_change(
                types.DidChangeNotebookDocumentParams(
                    notebook_document=types.VersionedNotebookDocumentIdentifier(
                        version=2, uri=notebook
                    ),
                    change=types.NotebookDocumentChangeEvent(
                        cells=types.NotebookDocumentCellChanges(
                            text_content=[
                                types.NotebookDocumentCellContentChanges(
                                    document=types.VersionedTextDocumentIdentifier(
                                        uri=cells[1], version=2
                                    ),
                                    changes=[
                                        types.TextDocumentContentChangeWholeDocument(
                                            text=texts[1].replace("sigmoid", "softmax")
                                        )
                                    ],
                                )
                            ]
                        )
                    ),
                )
            )
            first, second, third = [await session.diagnostics(cell) for cell in cells]
            assert first == [] and third == [] and [d.code for d in second] == ["KG002"]
            texts[1] = texts[1].replace("sigmoid", "softmax")

            # KG002's quick fix edits the cell that holds it, in the cell's own coordinates.
            actions = await asyncio.wait_for(
                client.text_document_code_action_async(
                    types.CodeActionParams(
                        text_document=types.TextDocumentIdentifier(uri=cells[1]),
                        range=found["KG002"].range,
                        context=types.CodeActionContext(diagnostics=[found["KG002"]]),
                    )
                ),
                TIMEOUT,
            )
            [quick] = [a for a in actions if a.kind == types.CodeActionKind.QuickFix]
            assert list(quick.edit.changes) == [cells[1]]
            assert apply_edits(texts[1], quick.edit.changes[cells[1]]).startswith(
                "model = Sequential([layers.LSTM(8, return_sequences=True), layers.LSTM(4)])\n"
            )

    asyncio.run(scenario())
