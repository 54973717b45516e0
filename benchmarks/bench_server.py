"""How fast `kgen server` answers an edit: the time from a didChange to the
publishDiagnostics for that version, on a 300-line training script (`sample_train.py`, a
`kgen new` output, with an RNN stack appended so there are findings to publish), median over
50 edits. Goal: under 150 ms on the 2-core machine, well under one `kgen lint` process start.

The server runs as `python -m kgen server`, driven by pygls's LSP client over stdio, as an
editor drives it. Each edit changes one number on the last line (the Dense units), so every
edit is a real change that must be re-linted.

Usage: python benchmarks/bench_server.py [--edits 50]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

HERE = Path(__file__).resolve().parent
STACK = """
rnn = keras.Sequential(
    [
        keras.Input(shape=(None, 8)),
        keras.layers.LSTM(32),
        keras.layers.LSTM(16),
        keras.layers.Dense({units}),
    ]
)
"""


def script(units: int) -> str:
    base = (HERE / "sample_train.py").read_text(encoding="utf-8")
    padding = 300 - len(base.splitlines()) - len(STACK.splitlines())
    return base + "\n" * max(padding, 0) + STACK.format(units=units)


async def measure(edits: int) -> list[float]:
    client = LanguageClient("bench", "1")
    arrived: asyncio.Queue = asyncio.Queue()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(params: types.PublishDiagnosticsParams) -> None:
        arrived.put_nowait((time.perf_counter(), params))

    with tempfile.TemporaryDirectory() as folder:
        uri = (Path(folder) / "train.py").as_uri()
        await client.start_io(sys.executable, "-m", "kgen", "server", cwd=folder)
        await client.initialize_async(
            types.InitializeParams(capabilities=types.ClientCapabilities(), root_uri=uri)
        )
        client.initialized(types.InitializedParams())
        text = script(1)
        lines = len(text.splitlines())
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=text
                )
            )
        )
        _, first = await arrived.get()
        assert any(d.code == "KG002" for d in first.diagnostics), "no findings to publish"
        times = []
        for version in range(2, edits + 2):
            line = lines - 2  # `keras.layers.Dense(N),`
            width = len(text.splitlines()[line])
            text = script(version)
            change = types.TextDocumentContentChangePartial(
                range=types.Range(
                    start=types.Position(line=line, character=0),
                    end=types.Position(line=line, character=width),
                ),
                text=text.splitlines()[line],
            )
            sent = time.perf_counter()
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[change],
                )
            )
            while True:
                received, params = await arrived.get()
                if params.version == version:
                    break
            times.append(received - sent)
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
    print(f"script: {lines} lines")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=50)
    args = parser.parse_args()
    times = asyncio.run(measure(args.edits))
    ms = sorted(t * 1000 for t in times)
    print(
        f"didChange -> publishDiagnostics over {len(ms)} edits: median {statistics.median(ms):.1f} ms, "
        f"min {ms[0]:.1f} ms, p90 {ms[int(len(ms) * 0.9) - 1]:.1f} ms, max {ms[-1]:.1f} ms "
        "(goal: median under 150 ms)"
    )


if __name__ == "__main__":
    main()
