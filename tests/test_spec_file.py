"""`kgen new --spec`: a TOML file loads to the ScriptSpec it describes, or fails on one line
that says where (file:line:col), which key, and what would be valid."""

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kgen import generate
from kgen.errors import KgenError
from kgen.generate import INPUT_SETTINGS, MODALITIES, InputSpec, OutputSpec, ScriptSpec
from kgen.heads import head_for
from kgen.spec_file import SETTING_MINIMUMS, load_spec

IMAGE = '[inputs.photo]\ndata = "image"\n'
BINARY = '[outputs.label]\ntask = "binary"\n'
REGRESSION = '[outputs.level]\ntask = "regression"\n'
TWO_VIEWS = """\
name = "two_views"  # the model's name

[inputs.photo]
data = "image"
image_size = [64, 64]
color_mode = "grayscale"

[inputs]
words = { data = "text", vocab_size = 100, kernel_sizes = [3, 5] }

[outputs.same]
task = "binary"
classes = ["different", "same"]
loss_weight = 2

[outputs.kind]
task = "multiclass"
labels = "onehot"

[trunk]
branches = [[32], [64, 32]]
"""


def load(tmp_path, monkeypatch, text, name="spec.toml"):
    monkeypatch.chdir(tmp_path)  # so that messages name the file as the user gave it
    Path(name).write_text(text, encoding="utf-8")
    return load_spec(Path(name))


BAD = {
    # TOML syntax, and files that cannot be read
    "syntax": (
        "[inputs.photo]\ndata = \n",
        "spec.toml:2:8: invalid TOML: Invalid value",
    ),
    "syntax at end": ('name = "x', "spec.toml:1:10: invalid TOML: Unterminated string"),
    "table twice": (
        IMAGE + BINARY + "[inputs.photo]\n",
        "spec.toml:5:14: invalid TOML: Cannot declare ('inputs', 'photo') twice",
    ),
    # what must be there
    "empty file": (
        "",
        'spec.toml:1:1: inputs: at least one input is required, e.g. [inputs.photo] with data = "image"',
    ),
    "empty inputs": (
        "[inputs]\n" + BINARY,
        'spec.toml:1:1: inputs: at least one input is required, e.g. [inputs.photo] with data = "image"',
    ),
    "no outputs": (
        IMAGE,
        'spec.toml:1:1: outputs: at least one output is required, e.g. [outputs.label] with task = "binary"',
    ),
    "no data": (
        '[inputs.photo]\narch = "conv2d"\n' + BINARY,
        "spec.toml:1:1: inputs.photo: missing key 'data'; choose one of: vector, image, text, audio, timeseries, video, volume",
    ),
    "no task": (
        IMAGE + '\n[outputs.label]\nclasses = ["a", "b"]\n',
        "spec.toml:4:1: outputs.label: missing key 'task'; choose one of: binary, multiclass, multilabel, regression, forecast, tagging",
    ),
    # unknown keys, at every level
    "unknown top-level key": (
        "model = 1\n" + IMAGE + BINARY,
        "spec.toml:1:1: model: unknown key 'model'; expected one of: name, inputs, outputs, trunk",
    ),
    "unknown input key": (
        IMAGE + "kernel = 3\n" + BINARY,
        "spec.toml:3:1: inputs.photo.kernel: unknown key 'kernel'; expected one of: data, arch, pretrained, kernel_sizes, image_size, color_mode",
    ),
    "unknown output key": (
        IMAGE + BINARY + "  trunk = 3\n",
        "spec.toml:5:3: outputs.label.trunk: unknown key 'trunk'; expected one of: task, classes, labels, loss_weight, per_step",
    ),
    "unknown trunk key": (
        IMAGE + BINARY + "[trunk]\nlayers = [32]\n",
        "spec.toml:6:1: trunk.layers: unknown key 'layers'; expected one of: units, branches",
    ),
    # types
    "inputs not a table": (
        "inputs = 3\n" + BINARY,
        "spec.toml:1:1: inputs: expected a table of inputs, one [inputs.NAME] each, got 3",
    ),
    "array of tables": (
        '[[inputs]]\ndata = "image"\n' + BINARY,
        "spec.toml:1:1: inputs: expected a table of inputs, one [inputs.NAME] each, got [a table]",
    ),
    "input not a table": (
        '[inputs]\nphoto = "image"\n' + BINARY,
        'spec.toml:2:1: inputs.photo: expected a table, [inputs.photo], got "image"',
    ),
    "data not a string": (
        "[inputs.photo]\ndata = 3\n" + BINARY,
        "spec.toml:2:1: inputs.photo.data: expected a string, got 3",
    ),
    "loss_weight a string": (
        IMAGE + BINARY + 'loss_weight = "1.0"\n',
        'spec.toml:5:1: outputs.label.loss_weight: expected a number > 0, got "1.0"',
    ),
    "true is no number": (
        '[inputs.series]\ndata = "timeseries"\nwindow = true\n' + BINARY,
        "spec.toml:3:1: inputs.series.window: expected an integer >= 2, got true",
    ),
    "per_step a string": (
        IMAGE + '[outputs.level]\ntask = "regression"\nper_step = "yes"\n',
        'spec.toml:5:1: outputs.level.per_step: expected true or false, got "yes"',
    ),
    "trunk not a table": (
        "trunk = 3\n" + IMAGE + BINARY,
        "spec.toml:1:1: trunk: expected a table, got 3",
    ),
    # names
    "name with a space": (
        'name = "my model"\n' + IMAGE + BINARY,
        "spec.toml:1:1: name: model name 'my model' is not a Python identifier (ASCII letters, digits and _, not starting with a digit)",
    ),
    "name a number": (
        "name = 3\n" + IMAGE + BINARY,
        "spec.toml:1:1: name: expected a string, a Python identifier, got 3",
    ),
    "input name starts with a digit": (
        '[inputs.2photo]\ndata = "image"\n' + BINARY,
        "spec.toml:1:1: inputs.2photo: input name '2photo' is not a Python identifier (ASCII letters, digits and _, not starting with a digit)",
    ),
    "quoted input name": (
        '[inputs."my photo"]\ndata = "image"\n' + BINARY,
        "spec.toml:1:1: inputs.\"my photo\": input name 'my photo' is not a Python identifier (ASCII letters, digits and _, not starting with a digit)",
    ),
    "keyword": (
        '[inputs.class]\ndata = "image"\n' + BINARY,
        "spec.toml:1:1: inputs.class: input name 'class' is a Python keyword; choose another",
    ),
    "input and output share a name": (
        IMAGE + '[outputs.photo]\ntask = "binary"\n',
        "spec.toml:3:1: outputs.photo: 'photo' names an input too; input and output names must all differ (they name Keras layers)",
    ),
    # inputs
    "unknown data": (
        '[inputs.photo]\ndata = "graph"\n' + BINARY,
        "spec.toml:2:1: inputs.photo.data: unknown data 'graph'; choose one of: vector, image, text, audio, timeseries, video, volume",
    ),
    "arch does not fit": (
        IMAGE + 'arch = "gru"\n' + BINARY,
        "spec.toml:3:1: inputs.photo.arch: arch 'gru' does not fit data image; choose one of: sepconv2d, conv2d",
    ),
    "arch in an inline table": (
        '[inputs]\nphoto = { data = "image", arch = "gru" }\n' + BINARY,
        "spec.toml:2:27: inputs.photo.arch: arch 'gru' does not fit data image; choose one of: sepconv2d, conv2d",
    ),
    "dotted key": (
        'inputs.photo.data = "graph"\n' + BINARY,
        "spec.toml:1:1: inputs.photo.data: unknown data 'graph'; choose one of: vector, image, text, audio, timeseries, video, volume",
    ),
    "unknown pretrained": (
        IMAGE + 'pretrained = "VGG16"\n' + BINARY,
        "spec.toml:3:1: inputs.photo.pretrained: unknown pretrained base 'VGG16'; choose one of: MobileNetV3Small, EfficientNetB0, ResNet50",
    ),
    "pretrained text": (
        '[inputs.words]\ndata = "text"\npretrained = "ResNet50"\n' + BINARY,
        "spec.toml:3:1: inputs.words.pretrained: pretrained bases read data image only, not text",
    ),
    "pretrained and arch": (
        IMAGE + 'arch = "conv2d"\npretrained = "ResNet50"\n' + BINARY,
        "spec.toml:4:1: inputs.photo.pretrained: pretrained replaces arch; give one or the other",
    ),
    "kernel_sizes recurrent": (
        '[inputs.words]\ndata = "text"\narch = "gru"\nkernel_sizes = [3]\n' + BINARY,
        "spec.toml:4:1: inputs.words.kernel_sizes: kernel_sizes needs a conv arch (sepconv2d, conv2d, conv1d, conv3d), not gru",
    ),
    "kernel_sizes pretrained": (
        IMAGE + 'pretrained = "ResNet50"\nkernel_sizes = [3]\n' + BINARY,
        "spec.toml:4:1: inputs.photo.kernel_sizes: kernel_sizes needs a conv arch (sepconv2d, conv2d, conv1d, conv3d), not ResNet50",
    ),
    "kernel_sizes zero": (
        IMAGE + "kernel_sizes = [3, 0]\n" + BINARY,
        "spec.toml:3:1: inputs.photo.kernel_sizes: expected a non-empty array of positive integers, got [3, 0]",
    ),
    "kernel_sizes empty": (
        IMAGE + "kernel_sizes = []\n" + BINARY,
        "spec.toml:3:1: inputs.photo.kernel_sizes: expected a non-empty array of positive integers, got []",
    ),
    "setting of another modality": (
        IMAGE + "window = 8\n" + BINARY,
        "spec.toml:3:1: inputs.photo.window: window is not a setting of image inputs, which take: image_size, color_mode",
    ),
    "setting of a modality without": (
        '[inputs.clip]\ndata = "audio"\nwindow = 8\n' + BINARY,
        "spec.toml:3:1: inputs.clip.window: window is not a setting of audio inputs, which take no settings",
    ),
    "setting of vector inputs": (
        '[inputs.table]\ndata = "vector"\nwindow = 8\n' + BINARY,
        "spec.toml:3:1: inputs.table.window: window is not a setting of vector inputs, which take: columns",
    ),
    "columns not names": (
        '[inputs.table]\ndata = "vector"\ncolumns = ["age", 3]\n' + BINARY,
        'spec.toml:3:1: inputs.table.columns: expected a non-empty array of column names, got ["age", 3]',
    ),
    "column twice": (
        '[inputs.table]\ndata = "vector"\ncolumns = ["age", "age"]\n' + BINARY,
        "spec.toml:3:1: inputs.table.columns: column 'age' appears twice",
    ),
    "column named like an output": (
        IMAGE + '[inputs.table]\ndata = "vector"\ncolumns = ["age", "label"]\n' + BINARY,
        "spec.toml:5:1: inputs.table.columns: column 'label' is already the samples.csv column of an input, output or other feature; name it differently",
    ),
    "image_size one number": (
        IMAGE + "image_size = [64]\n" + BINARY,
        "spec.toml:3:1: inputs.photo.image_size: expected [height, width], two positive integers, got [64]",
    ),
    "color_mode": (
        IMAGE + 'color_mode = "cmyk"\n' + BINARY,
        "spec.toml:3:1: inputs.photo.color_mode: unknown color_mode 'cmyk'; choose one of: grayscale, rgb, rgba",
    ),
    "vocab_size": (
        '[inputs.words]\ndata = "text"\nvocab_size = 2\n' + BINARY,
        "spec.toml:3:1: inputs.words.vocab_size: expected an integer >= 3, got 2",
    ),
    # outputs
    "unknown task": (
        IMAGE + '[outputs.label]\ntask = "ranking"\n',
        "spec.toml:4:1: outputs.label.task: unknown task 'ranking'; choose one of: binary, multiclass, multilabel, regression, forecast, tagging",
    ),
    "task does not suit the input": (
        IMAGE + '[outputs.label]\ntask = "forecast"\n',
        "spec.toml:4:1: outputs.label.task: task forecast does not suit the image input photo; choose one of: binary, multiclass, multilabel, regression",
    ),
    "forecast with two outputs": (
        '[inputs.series]\ndata = "timeseries"\nfeatures = 3\n[outputs.next]\ntask = "forecast"\n'
        + BINARY,
        "spec.toml:5:1: outputs.next.task: forecast needs exactly one timeseries input and one output",
    ),
    "tagging with two inputs": (
        IMAGE + '[inputs.words]\ndata = "text"\n[outputs.tags]\ntask = "tagging"\n',
        "spec.toml:6:1: outputs.tags.task: tagging needs exactly one input, not 2",
    ),
    "tagging with a conv arch": (
        '[inputs.words]\ndata = "text"\narch = "conv1d"\n[outputs.tags]\ntask = "tagging"\n',
        "spec.toml:3:1: inputs.words.arch: output tags predicts per time step, which needs a recurrent arch; choose one of: gru, lstm, bilstm",
    ),
    "per_step regression of images": (
        IMAGE + '[outputs.level]\ntask = "regression"\nper_step = true\n',
        "spec.toml:5:1: outputs.level.per_step: per_step regression needs a text or timeseries input, not image",
    ),
    "per_step binary": (
        IMAGE + BINARY + "per_step = true\n",
        "spec.toml:5:1: outputs.label.per_step: per_step is for task regression only (tagging always is), not binary",
    ),
    "several outputs of vectors without columns": (
        '[inputs.table]\ndata = "vector"\n' + BINARY + '[outputs.score]\ntask = "regression"\n',
        "spec.toml:1:1: inputs.table: missing key 'columns' (the samples.csv columns holding its features), which a vector input of a model with several inputs or outputs needs",
    ),
    "several outputs of audio": (
        '[inputs.clip]\ndata = "audio"\n' + BINARY + '[outputs.score]\ntask = "regression"\n',
        "spec.toml:2:1: inputs.clip.data: audio is not supported in a model with several inputs or outputs yet; use one of: vector, image, text, timeseries",
    ),
    "several outputs of a series without features": (
        '[inputs.series]\ndata = "timeseries"\n'
        + BINARY
        + '[outputs.score]\ntask = "regression"\n',
        "spec.toml:1:1: inputs.series: missing key 'features' (numeric columns per time step), which a timeseries input of a model with several inputs or outputs needs",
    ),
    "two text inputs of several": (
        '[inputs.title]\ndata = "text"\n[inputs.body]\ndata = "text"\n' + BINARY,
        "spec.toml:4:1: inputs.body.data: a model with several inputs or outputs reads one text input at most",
    ),
    "pretrained in several inputs": (
        IMAGE + 'pretrained = "ResNet50"\n[inputs.sketch]\ndata = "image"\n' + BINARY,
        "spec.toml:3:1: inputs.photo.pretrained: pretrained bases are not supported in a model with several inputs or outputs yet",
    ),
    "binary with 3 classes": (
        IMAGE + BINARY + 'classes = ["a", "b", "c"]\n',
        "spec.toml:5:1: outputs.label.classes: binary takes exactly 2 classes (the 2nd is positive), got 3",
    ),
    "class twice": (
        IMAGE + BINARY + 'classes = ["a", "a"]\n',
        "spec.toml:5:1: outputs.label.classes: class 'a' appears twice; class names must differ",
    ),
    "empty class": (
        IMAGE + BINARY + 'classes = ["a", ""]\n',
        'spec.toml:5:1: outputs.label.classes: expected an array of non-empty strings, got ["a", ""]',
    ),
    "classes for regression": (
        IMAGE + '[outputs.level]\ntask = "regression"\nclasses = ["a"]\n',
        "spec.toml:5:1: outputs.level.classes: classes is for tasks binary, multiclass, multilabel, tagging only, not regression",
    ),
    "multilabel without classes": (
        IMAGE + '[outputs.kinds]\ntask = "multilabel"\nclasses = []\n',
        "spec.toml:5:1: outputs.kinds.classes: multilabel takes at least 1 class, got 0",
    ),
    "multiclass with 1 class": (
        IMAGE + '[outputs.kind]\ntask = "multiclass"\nclasses = ["a"]\n',
        "spec.toml:5:1: outputs.kind.classes: multiclass takes at least 2 classes, got 1",
    ),
    "labels for binary": (
        IMAGE + BINARY + 'labels = "onehot"\n',
        "spec.toml:5:1: outputs.label.labels: labels is for task multiclass only, not binary",
    ),
    "unknown labels": (
        IMAGE + '[outputs.kind]\ntask = "multiclass"\nlabels = "hot"\n',
        "spec.toml:5:1: outputs.kind.labels: unknown labels 'hot'; choose one of: int, onehot",
    ),
    "loss_weight zero": (
        IMAGE + BINARY + "loss_weight = 0\n",
        "spec.toml:5:1: outputs.label.loss_weight: expected a number > 0, got 0",
    ),
    "loss_weight nan": (
        IMAGE + BINARY + "loss_weight = nan\n",
        "spec.toml:5:1: outputs.label.loss_weight: expected a number > 0, got nan",
    ),
    # trunk
    "units and branches": (
        IMAGE + BINARY + "[trunk]\nunits = [64]\nbranches = [[32]]\n",
        "spec.toml:7:1: trunk.branches: give units or branches, not both",
    ),
    "no units": (
        IMAGE + BINARY + "[trunk]\nunits = []\n",
        "spec.toml:6:1: trunk.units: expected a non-empty array of positive integers, got []",
    ),
    "empty branch": (
        IMAGE + BINARY + "[trunk]\nbranches = [[32], []]\n",
        "spec.toml:6:1: trunk.branches: expected a non-empty array of non-empty arrays of positive integers, e.g. [[32], [64, 32]], got [[32], []]",
    ),
}


@pytest.mark.parametrize("text, message", BAD.values(), ids=BAD.keys())
def test_malformed_spec_is_one_located_line(text, message, tmp_path, monkeypatch):
    with pytest.raises(KgenError) as caught:
        load(tmp_path, monkeypatch, text)
    assert str(caught.value) == message


def test_unreadable_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for path, message in [
        ("missing.toml", "cannot read missing.toml: No such file or directory"),
        (".", "cannot read .: Is a directory"),
    ]:
        with pytest.raises(KgenError, match=f"^{re.escape(message)}$"):
            load_spec(Path(path))
    Path("latin1.toml").write_bytes(b'name = "caf\xe9"\n')
    with pytest.raises(KgenError, match=r"^latin1\.toml:1:12: invalid TOML: not UTF-8 text$"):
        load_spec(Path("latin1.toml"))


def one_input_toml(spec: ScriptSpec, default_arch: bool) -> str:
    """The spec file describing a `--task/--data` spec, its input and output named as build()
    names them."""
    lines = [f"[inputs.{spec.modality.name}]", f'data = "{spec.modality.name}"']
    if spec.pretrained:
        lines.append(f'pretrained = "{spec.pretrained}"')
    elif not default_arch:
        lines.append(f'arch = "{spec.arch}"')
    lines += [f"[outputs.{spec.task}]", f'task = "{spec.task}"']
    if spec.head.labels == "onehot":
        lines.append('labels = "onehot"')
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("built", generate.supported(), ids=lambda spec: spec.slug)
def test_one_input_spec_equals_the_command_line_one(built, tmp_path, monkeypatch):
    loaded = load(tmp_path, monkeypatch, one_input_toml(built, default_arch=False))
    assert (loaded.inputs, loaded.outputs, loaded.trunk) == (
        built.inputs,
        built.outputs,
        (),
    )
    if built.arch == generate.default_arch(built.modality.name, built.outputs[0].per_step):
        loaded = load(tmp_path, monkeypatch, one_input_toml(built, default_arch=True))
        assert loaded.inputs == built.inputs


def test_defaults_and_source(tmp_path, monkeypatch):
    (tmp_path / "examples").mkdir()
    spec = load(tmp_path, monkeypatch, IMAGE + BINARY, name="examples/one.toml")
    assert spec.source == "examples/one.toml"
    assert spec.name is None
    assert spec.trunk == ()
    assert spec.inputs == (InputSpec("photo", MODALITIES["image"], "sepconv2d"),)
    assert spec.outputs == (OutputSpec("label", "binary", head_for("binary")),)
    assert spec.outputs[0].loss_weight == 1.0 and spec.outputs[0].classes == ()


def test_several_inputs_and_outputs(tmp_path, monkeypatch):
    spec = load(tmp_path, monkeypatch, TWO_VIEWS)
    assert spec == ScriptSpec(
        inputs=(
            InputSpec(
                "photo",
                MODALITIES["image"],
                "sepconv2d",
                settings=(("image_size", (64, 64)), ("color_mode", "grayscale")),
            ),
            InputSpec(
                "words",
                MODALITIES["text"],
                "conv1d",
                kernel_sizes=(3, 5),
                settings=(("vocab_size", 100),),
            ),
        ),
        outputs=(
            OutputSpec(
                "same",
                "binary",
                head_for("binary"),
                ("different", "same"),
                loss_weight=2.0,
            ),
            OutputSpec("kind", "multiclass", head_for("multiclass", "onehot")),
        ),
        trunk=((32,), (64, 32)),
        source="spec.toml",
        name="two_views",
    )
    assert isinstance(spec.outputs[0].loss_weight, float)


@pytest.mark.parametrize(
    "text, arch, per_step",
    [
        (
            '[inputs.words]\ndata = "text"\n[outputs.tags]\ntask = "tagging"\n',
            "gru",
            True,
        ),
        (
            '[inputs.words]\ndata = "text"\n' + REGRESSION + "per_step = true\n",
            "gru",
            True,
        ),
        (
            '[inputs.words]\ndata = "text"\n' + REGRESSION + "per_step = false\n",
            "conv1d",
            False,
        ),
        (
            '[inputs.series]\ndata = "timeseries"\n' + REGRESSION + "per_step = true\n",
            "gru",
            True,
        ),
    ],
)
def test_per_step_outputs_read_text_recurrently_by_default(
    text, arch, per_step, tmp_path, monkeypatch
):
    spec = load(tmp_path, monkeypatch, text)
    assert spec.arch == arch
    assert spec.outputs[0].per_step is per_step


def test_trunk_units(tmp_path, monkeypatch):
    spec = load(tmp_path, monkeypatch, IMAGE + BINARY + "[trunk]\nunits = [64, 32]\n")
    assert spec.trunk == ((64, 32),)


def test_every_input_setting_is_checked():
    checked = {"image_size", "color_mode", "columns", *SETTING_MINIMUMS}
    assert {key for keys in INPUT_SETTINGS.values() for key in keys} <= checked


# Arbitrary edits of a valid file: whatever they make of it, the answer is a spec or one line.
VALID_LINES = TWO_VIEWS.splitlines()
toml_scalars = st.one_of(
    st.integers(-(2**70), 2**70).map(str),  # beyond 64 bits too: invalid TOML
    st.floats().map(str),  # nan, inf, 1e+300: TOML spellings
    st.sampled_from(["true", "false", "nan", "-inf", "1979-05-27", "07:32:00", "{}", "[]"]),
    st.sampled_from(["[[]]", "[1, 2]", '["a"]', "[0]", "{ data = 1 }", '"""a\nb"""']),
    st.text(max_size=8).map(lambda s: '"' + s.replace("\\", "").replace('"', "") + '"'),
    st.sampled_from(list(MODALITIES) + list(generate.TASKS) + list(generate.ARCHITECTURES)).map(
        lambda s: f'"{s}"'
    ),
)
keys = st.sampled_from(
    [
        "data",
        "arch",
        "pretrained",
        "kernel_sizes",
        "window",
        "features",
        "task",
        "classes",
    ]
    + ["labels", "loss_weight", "per_step", "units", "branches", "name", '"a b"', "x.y"]
)
edits = st.one_of(
    st.tuples(st.just("delete"), st.integers(0, len(VALID_LINES) - 1)),
    st.tuples(st.just("duplicate"), st.integers(0, len(VALID_LINES) - 1)),
    st.tuples(st.just("value"), st.integers(0, len(VALID_LINES) - 1), toml_scalars),
    st.tuples(st.just("insert"), st.integers(0, len(VALID_LINES)), keys, toml_scalars),
    st.tuples(st.just("text"), st.integers(0, len(VALID_LINES) - 1), st.text(max_size=20)),
)


def apply(lines: list[str], edit) -> list[str]:
    kind, at, *rest = edit
    lines = list(lines)
    if not lines:
        return [f"{rest[0]} = {rest[1]}"] if kind == "insert" else lines
    at %= len(lines) + (kind == "insert")  # earlier edits may have shortened the file
    if kind == "delete":
        del lines[at]
    elif kind == "duplicate":
        lines.insert(at, lines[at])
    elif kind == "value" and "=" in lines[at]:
        lines[at] = lines[at].split("=", 1)[0] + "= " + rest[0]
    elif kind == "insert":
        lines.insert(at, f"{rest[0]} = {rest[1]}")
    elif kind == "text":
        lines[at] = rest[0]
    return lines


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(edits, min_size=1, max_size=3))
def test_any_edit_gives_a_spec_or_one_line(tmp_path, edit_list):
    lines = VALID_LINES
    for edit in edit_list:
        lines = apply(lines, edit)
    path = tmp_path / "spec.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        spec = load_spec(path)
    except KgenError as exc:
        message = str(exc)
        assert len(message.splitlines()) == 1, message
        assert re.match(rf"{re.escape(str(path))}:\d+:\d+: \S", message), message
    else:
        assert isinstance(spec, ScriptSpec)
