"""The keyword tables are data generated from Keras (the Keras 3 table is regenerated and
compared in test_keras_identifiers.py, with KG004's, so Keras is imported once); the Keras 1/2
readers run on a small wheel built here, so the `ast` code that read the real Keras 2 wheels
is exercised without them."""

from __future__ import annotations

import zipfile

from kgen.lint import gen_signatures
from kgen.lint.signatures import accepted, forwarded, rejected, removed_attribute


def test_tables_know_the_classic_renames_and_removals():
    assert rejected("keras.layers.Dense", "units") is None
    assert rejected("keras.layers.Dense", "output_dim").replacement == "units"
    assert rejected("keras.layers.Convolution2D", "border_mode").replacement == "padding"
    assert rejected("keras.layers.Conv2D", "nb_row").era == "keras1"
    assert rejected("keras.layers.LSTM", "time_major").era == "keras2"
    assert rejected("keras.Model.fit", "workers").era == "keras2"
    assert rejected("keras.layers.LSTM", "return_sequence").era is None
    assert forwarded("keras.Model.fit_generator")[1]["generator"] == "x"
    assert "x" in accepted("keras.Model.fit")
    assert removed_attribute("output_shape", tensor=False)
    assert removed_attribute("_keras_shape", tensor=True)
    assert removed_attribute("output", tensor=False) is None


KERAS2_SOURCE = {
    "keras/api/_v2/keras/layers/__init__.py": (
        "from keras.src.layers.core.dense import Dense\n"
        "from keras.src.engine.base_layer import Layer\n"
    ),
    "keras/api/_v2/keras/optimizers/__init__.py": "from keras.src.optimizers.adam import Adam\n",
    "keras/api/_v2/keras/callbacks/__init__.py": "",
    "keras/src/engine/base_layer.py": (
        "class Layer:\n"
        "    def __init__(self, trainable=True, name=None, **kwargs):\n"
        "        allowed_kwargs = {'input_dim', 'weights'}\n"
        "    @property\n"
        "    def input_shape(self):\n"
        "        return None\n"
    ),
    "keras/src/layers/core/dense.py": (
        "from keras.src.engine import base_layer\n"
        "class Dense(base_layer.Layer):\n"
        "    def __init__(self, units, activation=None, **kwargs):\n"
        "        super().__init__(**kwargs)\n"
    ),
    "keras/src/optimizers/adam.py": (
        "class Adam:\n    def __init__(self, learning_rate=0.001, jit_compile=True):\n        pass\n"
    ),
    "keras/src/engine/training.py": (
        "from keras.src.engine import base_layer\n"
        "class Model(base_layer.Layer):\n"
        "    def fit(self, x=None, y=None, epochs=1, workers=1):\n"
        "        pass\n"
        "    def fit_generator(self, generator, steps_per_epoch=None, workers=1):\n"
        "        return self.fit(generator, steps_per_epoch=steps_per_epoch, workers=workers)\n"
    ),
    "keras-2.15.0.dist-info/METADATA": "",
}
KERAS1_SOURCE = {
    "keras/legacy/interfaces.py": (
        "def generate_legacy_interface(**options):\n    pass\n"
        "def conv_preprocessor(args, kwargs):\n    kwargs.pop('nb_row')\n    return args, kwargs\n"
        "legacy_dense_support = generate_legacy_interface(\n"
        "    conversions=[('output_dim', 'units'), ('dim_ordering', 'data_format')],\n"
        "    value_conversions={'dim_ordering': {'tf': 'channels_last'}},\n"
        "    preprocessor=conv_preprocessor)\n"
    ),
    "keras/layers/core.py": (
        "from .. import legacy\n"
        "class Dense:\n"
        "    @interfaces.legacy_dense_support\n"
        "    def __init__(self, units, **kwargs):\n"
        "        x._keras_shape = None\n"
    ),
}


def _wheel(tmp_path, name, files):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in files.items():
            archive.writestr(member, text)
    return path


def test_keras2_reader_on_a_wheel(tmp_path):
    table = gen_signatures.collect_keras2(_wheel(tmp_path, "k2.whl", KERAS2_SOURCE))
    assert table["KERAS2_VERSION"] == "2.15.0"
    dense = table["KEYWORDS"]["keras.layers.Dense"]
    assert {"units", "activation", "trainable", "name", "input_dim", "weights"} == set(dense)
    assert '"activation input_dim name trainable units weights"' in gen_signatures.render_keras2(
        table, {}
    )
    assert table["KEYWORDS"]["keras.optimizers.Adam"] == ["jit_compile", "learning_rate"]
    assert table["FORWARDS"]["keras.Model.fit_generator"] == (
        "fit",
        {"generator": "x", "steps_per_epoch": "steps_per_epoch", "workers": "workers"},
    )
    assert table["LAYER_ATTRIBUTES"] == ["input_shape"]


def test_keras1_reader_on_a_wheel(tmp_path):
    table = gen_signatures.collect_keras1(_wheel(tmp_path, "k1.whl", KERAS1_SOURCE))
    assert table["KERAS1_RENAMES"] == {
        "keras.layers.Dense": {"output_dim": "units", "dim_ordering": None, "nb_row": None}
    }
    assert table["KERAS1_TENSOR_ATTRIBUTES"] == ["_keras_shape"]
