"""The KG004 table is data generated from Keras: regenerate it from the installed Keras and
fail when the committed copy disagrees (run `python -m kgen.lint.gen_identifiers`)."""

from __future__ import annotations

import pytest

from kgen.lint import gen_identifiers, gen_signatures


def test_committed_tables_match_installed_keras():
    """Both tables generated from Keras, in one test: importing Keras is the cost (one import
    per worker process), so they are regenerated in the same process."""
    pytest.importorskip("keras")
    fresh = gen_identifiers.render(gen_identifiers.collect())
    committed = gen_identifiers.TABLE.read_text(encoding="utf-8")
    assert committed == fresh, "keras_identifiers.py is stale: python -m kgen.lint.gen_identifiers"
    fresh = gen_signatures.render_keras3(gen_signatures.collect_keras3())
    committed = gen_signatures.KERAS3_TABLE.read_text(encoding="utf-8")
    assert committed == fresh, "keras_signatures.py is stale: python -m kgen.lint.gen_signatures"


def test_table_knows_the_common_identifiers():
    from kgen.lint import keras_identifiers as known

    assert {"mse", "mean_squared_error", "binary_crossentropy"} <= known.LOSSES
    assert {"accuracy", "acc", "mae", "auc"} <= known.METRICS
    assert {"adam", "sgd", "rmsprop", "adamw"} <= known.OPTIMIZERS
    assert {"relu", "softmax", "sigmoid", "linear", "gelu"} <= known.ACTIVATIONS
