"""Positions computed per top-level statement (kgen/lint/positions.py) are exactly libcst's
positions over the whole module, for every node, on the test corpus and on layouts where a
statement's first line is easy to get wrong."""

from __future__ import annotations

import contextlib
import textwrap
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from kgen.lint.positions import _ids, positions
from kgen.lint.source import Undecodable, decode

FIXTURES = Path(__file__).parent.parent / "fixtures"
LAYOUTS = {
    "decorators and comments": """\
        # a header comment

        import keras  # trailing

        @keras.saving.register_keras_serializable()
        # between
        @staticmethod
        def f(x):
            return keras.layers.Dense(x)


        class A(  # open
            object,
        ):
            '''doc'''
            async def g(self): pass
        """,
    "semicolons and continuations": """\
        import keras; from keras import layers
        x = \\
            layers.LSTM(3); y = layers.GRU(2)
        if x:
            pass
        elif y:  # c
            pass
        else: z = 1
        """,
    "match and crlf": "match x:\r\n    case 1:\r\n        y = 2\r\n# end\r\n",
    "no trailing newline": "import keras\nmodel = keras.Sequential()",
}


def sources():
    for path in sorted(FIXTURES.glob("*/*.py")):
        with contextlib.suppress(Undecodable):  # binary fixtures are not Python source
            yield path.name, decode(path.read_bytes()).text
    for name, text in LAYOUTS.items():
        yield name, textwrap.dedent(text)


@pytest.mark.parametrize(("name", "source"), list(sources()), ids=lambda v: str(v)[:30])
def test_statement_positions_match_the_whole_module(name, source):
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        pytest.skip("not parsable: the engine never asks for positions")  # fixtures of KG000
    whole = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    found = positions(module, source, list(module.body))  # every statement, one at a time
    assert all(_ids(statement) <= {id(node) for node in found} for statement in module.body)
    for node, where in found.items():
        if not isinstance(node, cst.Module):  # the one-statement modules positions used
            assert where == whole[node], (name, type(node).__name__, where, whole[node])
