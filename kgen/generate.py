"""`kgen new`: compose a training script from templates, format it with black, write it atomically.

The script is assembled from parts so that each piece of Keras knowledge lives in one place:
`templates/script.py.j2` is the workflow every script follows, `templates/data/` holds one part
per data modality (loading, synthetic data, preprocessing, model input), `templates/models/`
one body per architecture, `templates/labels/` one label encoding per task, and the head and
loss come from `kgen.heads`.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kgen import __version__
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
    "cnn-rnn": "frame-level convnet feeding a GRU",
    "conv3d": "3-D convnet",
}
RECURRENT = ("gru", "lstm", "bilstm")
# keras.applications bases for --pretrained, with the module holding their preprocess_input.
PRETRAINED = {
    "MobileNetV3Small": "mobilenet_v3",
    "EfficientNetB0": "efficientnet",
    "ResNet50": "resnet50",
}
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


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
        Modality("timeseries", ("gru", "lstm", "conv1d"), "timeseries", "row"),
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
}
# Tasks that make sense for some modalities only; every other task suits every modality.
TASK_MODALITIES = {"forecast": ("timeseries",)}
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
class ScriptSpec:
    """Everything that decides the generated script, validated."""

    task: str
    modality: Modality
    arch: str
    head: Head
    pretrained: str | None = None  # a keras.applications base replacing the architecture

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
            arch = modality.archs[0]
        elif arch not in modality.archs:
            raise KgenError(
                f"--arch {arch!r} does not fit --data {data}; choose one of: {', '.join(modality.archs)}"
            )
        if labels is not None:
            _choice("--labels", labels, LABEL_ENCODINGS)
            if task != "multiclass":
                raise KgenError(f"--labels applies to --task multiclass only, not {task}")
        return cls(task, modality, arch, head_for(task, labels or "int"), pretrained)

    @property
    def command(self) -> str:
        words = ["kgen new", f"--task {self.task}", f"--data {self.modality.name}"]
        if self.pretrained:
            words.append(f"--pretrained {self.pretrained}")
        elif self.arch != self.modality.archs[0]:
            words.append(f"--arch {self.arch}")
        if self.head.labels == "onehot":
            words.append("--labels onehot")
        return " ".join(words)

    @property
    def slug(self) -> str:
        """A short file-name-safe id, e.g. multiclass_text_gru_onehot."""
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
        return ARCHITECTURES[self.arch]

    @property
    def title(self) -> str:
        return f"{TASK_TITLES[self.task]} of {DATA_TITLES[self.modality.name]} with a {self.arch_title}"


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
    return environment


def render(spec: ScriptSpec) -> str:
    """The black-formatted source of the training script for `spec`."""
    import black

    template = _environment().get_template(f"data/{spec.modality.template}.py.j2")
    source = template.render(
        spec=spec,
        task=spec.task,
        data=spec.modality.name,
        arch=spec.arch,
        head=spec.head,
        arch_title=spec.arch_title,
        pretrained=spec.pretrained,
        pretrained_module=PRETRAINED.get(spec.pretrained),
        recurrent=spec.arch in RECURRENT,
        # Class folders label binary and multiclass samples; everything else names its targets
        # in a CSV column (the data table itself, or labels.csv beside the sample files).
        csv_targets=not (spec.modality.files and spec.task in ("binary", "multiclass")),
        suffixes=spec.modality.suffixes,
        version=__version__,
    )
    return black.format_str(source, mode=black.Mode())


def write_script(source: str, path: Path, force: bool = False) -> None:
    """Write atomically (temp file + rename) so a failure never leaves half a script behind."""
    if path.is_dir():
        raise KgenError(f"{path} is a directory; give a file path with -o")
    if path.exists() and not force:
        raise KgenError(f"{path} already exists; pass --force to overwrite it")
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise KgenError(f"directory {directory} does not exist")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(source)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def tasks_for(data: str) -> tuple[str, ...]:
    return tuple(task for task in TASKS if data in TASK_MODALITIES.get(task, (data,)))


def supported() -> list[ScriptSpec]:
    """Every supported task x data x architecture (x label encoding) combination."""
    specs = []
    for data, modality in MODALITIES.items():
        for arch in modality.archs:
            for task in tasks_for(data):
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
    return "\n".join(lines)
