"""`kgen new`: compose a training script from templates, format it with black, write it atomically.

The script is assembled from parts so that each piece of Keras knowledge lives in one place:
`templates/script.py.j2` is the workflow every script follows, `templates/data/` holds one part
per data modality (loading, synthetic data, preprocessing, model input), `templates/models/`
one body per architecture, `templates/labels/` one label encoding per task, and the head and
loss come from `kgen.heads`.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kgen import __version__, versions
from kgen.errors import KgenError
from kgen.heads import LABEL_ENCODINGS, TASKS, Head, head_for

ARCHITECTURES = {
    "mlp": "multilayer perceptron",
    "sepconv2d": "SeparableConv2D convnet",
    "conv2d": "Conv2D convnet",
    "conv1d": "1-D convnet",
    "gru": "stacked GRU",
    "lstm": "stacked LSTM",
    "bilstm": "bidirectional LSTM",
    "bigru": "bidirectional GRU",
    "cnn-rnn": "frame-level convnet feeding a GRU",
    "conv3d": "3-D convnet",
}
RECURRENT = ("gru", "lstm", "bilstm", "bigru")
# Convnets, with the kernel size they use unless a spec's `kernel_sizes` asks for branches.
DEFAULT_KERNELS = {"sepconv2d": 3, "conv2d": 3, "conv1d": 5, "conv3d": 3}
CONV_ARCHS = tuple(DEFAULT_KERNELS)
# Settings a spec file may give an input, per modality, with their defaults in the script.
INPUT_SETTINGS = {
    "vector": ("columns",),
    "image": ("image_size", "color_mode"),
    "text": ("vocab_size", "sequence_length"),
    "timeseries": ("window", "features"),
}
COLOR_MODES = {"grayscale": 1, "rgb": 3, "rgba": 4}  # channels of each
# Modalities an input of a several-input or several-output model can have: each sample is one
# row of samples.csv, naming its files or holding its features (templates/data/samples.py.j2).
SAMPLES_CSV_MODALITIES = ("vector", "image", "text", "timeseries")
# keras.applications bases for --pretrained, with the module holding their preprocess_input.
PRETRAINED = {
    "MobileNetV3Small": "mobilenet_v3",
    "EfficientNetB0": "efficientnet",
    "ResNet50": "resnet50",
}
BACKEND_TITLES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
CLASSIFICATION = ("binary", "multiclass", "multilabel")
# Tasks with one target per sample: their time series may be whole series, one file each.
WHOLE_SERIES = (*CLASSIFICATION, "regression")


@dataclass(frozen=True)
class Modality:
    name: str
    archs: tuple[str, ...]  # the first one is the default
    template: str  # the data part in templates/data/
    noun: str  # what one sample is called in the docs
    suffixes: tuple[str, ...] = ()  # sample file types; empty for modalities read from one CSV

    @property
    def files(self) -> bool:
        """One file per sample (labels from class folders or labels.csv), or one CSV table."""
        return bool(self.suffixes)


MODALITIES = {
    m.name: m
    for m in (
        Modality("vector", ("mlp",), "vector", "row"),
        Modality("image", ("sepconv2d", "conv2d"), "image", "image", IMAGE_SUFFIXES),
        Modality("text", ("conv1d", "gru", "lstm", "bilstm"), "text", "text", (".txt",)),
        Modality("audio", ("conv1d", "gru", "lstm"), "audio", "clip", (".wav",)),
        Modality("timeseries", ("gru", "lstm", "conv1d", "bigru"), "timeseries", "row"),
        Modality("video", ("cnn-rnn", "conv3d"), "arrays", "video", (".npy",)),
        Modality("volume", ("conv3d",), "arrays", "scan", (".npy",)),
    )
}

TASK_TITLES = {
    "binary": "Binary classification",
    "multiclass": "Multiclass classification",
    "multilabel": "Multilabel classification",
    "regression": "Regression",
    "forecast": "Multi-step forecasting",
    "tagging": "Sequence tagging (one class per time step)",
}
# The picture of the test split each task's script draws beside history.png, as NAME.png.
EVALUATION_PLOTS = {
    "binary": "confusion_matrix",
    "multiclass": "confusion_matrix",
    "tagging": "confusion_matrix",
    "regression": "predictions",
    "forecast": "forecast",
}
EVALUATION_PLOT_TITLES = {
    "confusion_matrix": "true against predicted classes",
    "predictions": "predicted against true values",
    "forecast": "the forecast against the truth",
}
# Per-step outputs (one prediction per time step) read a sequence input through recurrent layers.
PER_STEP_MODALITIES = ("text", "timeseries")
# Tasks that make sense for some modalities only; every other task suits every modality.
TASK_MODALITIES = {"forecast": ("timeseries",), "tagging": PER_STEP_MODALITIES}
DATA_TITLES = {
    "vector": "tabular data",
    "image": "images",
    "text": "text",
    "audio": "audio clips",
    "timeseries": "a time series",
    "video": "videos",
    "volume": "3-D scans",
}


def _choice(kind: str, value: str, valid) -> str:
    if value not in valid:
        raise KgenError(f"unknown {kind} {value!r}; choose one of: {', '.join(valid)}")
    return value


@dataclass(frozen=True)
class InputSpec:
    """One named model input: a data modality, the architecture reading it, and its settings."""

    name: str
    modality: Modality
    arch: str
    pretrained: str | None = None  # a keras.applications base replacing the architecture
    kernel_sizes: tuple[int, ...] = ()  # parallel conv branches, one per kernel size, concatenated
    settings: tuple[tuple[str, object], ...] = ()  # overrides of the modality's constants

    def setting(self, key: str, default=None):
        return dict(self.settings).get(key, default)

    @property
    def recurrent(self) -> bool:
        return self.arch in RECURRENT


@dataclass(frozen=True)
class OutputSpec:
    """One named model output: a task, its head, and how much its loss counts."""

    name: str
    task: str
    head: Head
    classes: tuple[str, ...] = ()  # fixed class names; empty: the label values found in the data
    loss_weight: float = 1.0
    per_step: bool = False  # one prediction per time step (tagging; per-step regression)


@dataclass(frozen=True)
class ScriptSpec:
    """Everything that decides the generated script, validated: named inputs and outputs.

    `kgen new --task T --data D` is the one-input, one-output case (`build`); a spec file
    (`kgen.spec_file`) describes several. Both render through the same templates."""

    inputs: tuple[InputSpec, ...]
    outputs: tuple[OutputSpec, ...]
    trunk: tuple[tuple[int, ...], ...] = ()  # Dense branches after the merge, concatenated
    source: str | None = None  # the spec file it came from, for the script's docstring
    name: str | None = None  # the model's name

    @classmethod
    def build(
        cls,
        task: str,
        data: str,
        arch: str | None = None,
        labels: str | None = None,
        pretrained: str | None = None,
    ):
        _choice("--task", task, TASKS)
        modality = MODALITIES[_choice("--data", data, tuple(MODALITIES))]
        if task not in tasks_for(data):
            raise KgenError(f"--task {task} needs --data {' or '.join(TASK_MODALITIES[task])}")
        if pretrained is not None:
            _choice("--pretrained", pretrained, tuple(PRETRAINED))
            if data != "image":
                raise KgenError(f"--pretrained needs --data image, not {data}")
            if arch is not None:
                raise KgenError("--pretrained replaces --arch; give one or the other")
            arch = "pretrained"
        elif arch is None:
            arch = default_arch(data, per_step=task == "tagging", task=task)
        elif arch not in modality.archs:
            raise KgenError(
                f"--arch {arch!r} does not fit --data {data}; choose one of: {', '.join(modality.archs)}"
            )
        if task == "tagging" and arch not in RECURRENT:
            recurrent = ", ".join(a for a in modality.archs if a in RECURRENT)
            raise KgenError(f"--task tagging needs a recurrent --arch ({recurrent})")
        if labels is not None:
            _choice("--labels", labels, LABEL_ENCODINGS)
            if task != "multiclass":
                raise KgenError(f"--labels applies to --task multiclass only, not {task}")
        head = head_for(task, labels or "int")
        output = OutputSpec(task, task, head, per_step=task == "tagging")
        return cls((InputSpec(data, modality, arch, pretrained),), (output,))

    @property
    def single(self) -> bool:
        """One input and one output: the data keeps its modality's own layout."""
        return len(self.inputs) == 1 and len(self.outputs) == 1

    # The first input and output: the whole model in the one-input, one-output case.
    @property
    def task(self) -> str:
        return self.outputs[0].task

    @property
    def head(self) -> Head:
        return self.outputs[0].head

    @property
    def modality(self) -> Modality:
        return self.inputs[0].modality

    @property
    def arch(self) -> str:
        return self.inputs[0].arch

    @property
    def pretrained(self) -> str | None:
        return self.inputs[0].pretrained

    @property
    def command(self) -> str:
        if self.source is not None:
            return f"kgen new --spec {self.source}"
        words = ["kgen new", f"--task {self.task}", f"--data {self.modality.name}"]
        if self.pretrained:
            words.append(f"--pretrained {self.pretrained}")
        elif self.arch != default_arch(self.modality.name, self.outputs[0].per_step, self.task):
            words.append(f"--arch {self.arch}")
        if self.head.labels == "onehot":
            words.append("--labels onehot")
        return " ".join(words)

    @property
    def slug(self) -> str:
        """A short file-name-safe id, e.g. multiclass_text_gru_onehot."""
        if self.source is not None:
            return Path(self.source).stem
        words = [
            self.task,
            self.modality.name,
            (self.pretrained or self.arch).lower().replace("-", ""),
        ]
        return "_".join(words + (["onehot"] if self.head.labels == "onehot" else []))

    @property
    def arch_title(self) -> str:
        if self.pretrained:
            return f"{self.pretrained} base pretrained on ImageNet"
        kernels = self.inputs[0].kernel_sizes
        if kernels:
            sizes = ", ".join(map(str, kernels))
            return f"{ARCHITECTURES[self.arch]} in parallel branches of kernel sizes {sizes}"
        return ARCHITECTURES[self.arch]

    @property
    def model_name(self) -> str:
        return self.name or f"{self.task}_{self.modality.name}_{self.arch.replace('-', '_')}"

    @property
    def title(self) -> str:
        if self.single:
            branches = (
                f", then {len(self.trunk)} interpretation branches" if len(self.trunk) > 1 else ""
            )
            return f"{TASK_TITLES[self.task]} of {DATA_TITLES[self.modality.name]} with a {self.arch_title}{branches}"
        inputs = ", ".join(spec.name for spec in self.inputs)
        outputs = ", ".join(spec.name for spec in self.outputs)
        return f"A functional model with inputs {inputs} and outputs {outputs}"


def _environment():
    from importlib.resources import files

    import jinja2

    environment = jinja2.Environment(
        # kgen.templates is the repo's templates/ folder (see pyproject.toml), in a wheel too.
        loader=jinja2.FileSystemLoader(str(files("kgen.templates"))),
        undefined=jinja2.StrictUndefined,  # a typo in a template fails loudly, not as ""
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.tests["startswith"] = str.startswith
    environment.filters["tuple_code"] = lambda items: repr(tuple(items))
    return environment


def render(spec: ScriptSpec) -> str:
    """The black-formatted source of the training script for `spec`."""
    import black

    # One input and one output keep the modality's own data layout; more use samples.csv. Time
    # series for a whole-sample task may also be a folder of series files (data/series.py.j2),
    # unless a spec asks for per-step values or fixes the input's shape to (WINDOW, FEATURES).
    whole_series = (
        spec.single
        and spec.modality.name == "timeseries"
        and spec.task in WHOLE_SERIES
        and not spec.outputs[0].per_step
        and not spec.inputs[0].setting("features")
    )
    part = "series" if whole_series else spec.modality.template if spec.single else "samples"
    template = _environment().get_template(f"data/{part}.py.j2")
    source = template.render(
        spec=spec,
        task=spec.task,
        data=spec.modality.name,
        arch=spec.arch,
        head=spec.head,
        arch_title=spec.arch_title,
        pretrained=spec.pretrained,
        pretrained_modules=PRETRAINED,
        architectures=ARCHITECTURES,
        default_kernels=DEFAULT_KERNELS,
        suffix="",
        classes_const="CLASSES" if spec.outputs[0].classes else None,
        per_step=spec.outputs[0].per_step,
        steps="SEQUENCE_LENGTH",
        target_column={"multilabel": "labels", "tagging": "tags"}.get(spec.task, "target"),
        # One input and one output name their targets in a CSV column (the data table itself,
        # or labels.csv beside the sample files; class folders are the alternative to it).
        csv_targets=spec.single,
        whole_series=whole_series,
        # --synthetic writes class folders for binary and multiclass sample files.
        synthetic_folders=spec.single
        and (spec.modality.files or whole_series)
        and spec.task in ("binary", "multiclass"),
        # Classification splits keep each class's share; windows of a series split in time order.
        stratified=spec.single
        and spec.task in CLASSIFICATION
        and (spec.modality.name != "timeseries" or whole_series),
        # Spec files and pretrained bases fix the image shape; otherwise the data decides it.
        fixed_image_shape=bool(
            spec.pretrained
            or spec.inputs[0].setting("image_size")
            or spec.inputs[0].setting("color_mode")
        ),
        # The embedding is sized from the vocabulary built, unless a spec fixes VOCAB_SIZE.
        sized_vocabulary=spec.single and not spec.inputs[0].setting("vocab_size"),
        color_channels=COLOR_MODES,
        image_suffixes=IMAGE_SUFFIXES,
        suffixes=(".csv",) if whole_series else spec.modality.suffixes,
        sample_noun="series" if whole_series else spec.modality.noun,
        # Training features that apply to some scripts only.
        augments=any(input.modality.name == "image" for input in spec.inputs),
        class_weighted=spec.single and spec.task in ("binary", "multiclass"),
        evaluation_plot=EVALUATION_PLOTS.get(spec.task) if spec.single else None,
        evaluation_plots=EVALUATION_PLOT_TITLES,
        version=__version__,
        keras_version=versions.KERAS,
        backend_versions=", ".join(
            f"{BACKEND_TITLES[name]} {number}" for name, number in versions.BACKENDS.items()
        ),
        pip_line=versions.pip_line("tensorflow"),
    )
    return black.format_str(source, mode=black.Mode())


def write_script(source: str, path: Path, force: bool = False) -> None:
    """Write atomically (temp file + rename) so a failure never leaves half a script behind.
    `-` is standard output; a symbolic link is written through (the link stays), and anything
    but a regular file (a device, a FIFO) is refused rather than replaced."""
    if str(path) == "-":
        sys.stdout.write(source)
        sys.stdout.flush()
        return
    if path.is_dir():
        raise KgenError(f"{path} is a directory; give a file path with -o")
    if path.exists() and not path.is_file():
        raise KgenError(
            f"{path} is not a regular file (a device or FIFO?); give a file path with -o"
        )
    if path.exists() and not force:
        raise KgenError(f"{path} already exists; pass --force to overwrite it")
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise KgenError(f"directory {directory} does not exist")
    path = Path(os.path.realpath(path))  # through a symbolic link, to the file it names
    directory = path.parent
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(source)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def default_arch(data: str, per_step: bool = False, task: str | None = None) -> str:
    """The modality's first choice; text read per time step needs a recurrent layer instead.
    A time series with one target per sample (maybe a whole series) is read in both directions:
    on whole-series classification (tests/test_learning.py) a one-way GRU fell short."""
    if per_step and data == "text":
        return RECURRENT[0]
    if data == "timeseries" and task in WHOLE_SERIES:
        return "bigru"
    return MODALITIES[data].archs[0]


def tasks_for(data: str) -> tuple[str, ...]:
    return tuple(task for task in TASKS if data in TASK_MODALITIES.get(task, (data,)))


def supported() -> list[ScriptSpec]:
    """Every supported task x data x architecture (x label encoding) combination."""
    specs = []
    for data, modality in MODALITIES.items():
        for arch in modality.archs:
            for task in tasks_for(data):
                if task == "tagging" and arch not in RECURRENT:
                    continue
                specs.append(ScriptSpec.build(task, data, arch))
                if task == "multiclass":
                    specs.append(ScriptSpec.build(task, data, arch, "onehot"))
    for base in PRETRAINED:
        specs.extend(
            ScriptSpec.build(task, "image", pretrained=base) for task in tasks_for("image")
        )
    return specs


def matrix_table() -> str:
    """The supported matrix for `kgen new --list`."""
    width = len(", ".join(TASKS))
    lines = [f"{'--data':<12} {'--task':<{width}}  --arch (the first is the default)"]
    for data, modality in MODALITIES.items():
        lines.append(
            f"{data:<12} {', '.join(tasks_for(data)):<{width}}  {', '.join(modality.archs)}"
        )
    lines.append("")
    lines.append("--labels int|onehot chooses the multiclass label encoding (default int).")
    lines.append(f"--pretrained {'|'.join(PRETRAINED)} (images): transfer learning.")
    lines.append(f"--task tagging needs a recurrent --arch ({', '.join(RECURRENT)}).")
    whole = ", ".join(WHOLE_SERIES)
    lines.append(f"--data timeseries defaults to --arch bigru for --task {whole}.")
    lines.append("--spec model.toml describes a model with several inputs and outputs.")
    return "\n".join(lines)
