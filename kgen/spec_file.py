"""`kgen new --spec model.toml`: a model with named inputs and outputs, described in TOML.

    name = "two_views"            # optional: the model's name, a Python identifier

    [inputs.photo]                # one table per input, named by a Python identifier
    data = "image"                # required: vector|image|text|audio|timeseries|video|volume
    arch = "sepconv2d"            # optional: one of the data's archs (`kgen new --list`);
                                  #   default: its first (gru for text read per time step)
    pretrained = "ResNet50"       # optional, images only, instead of arch:
                                  #   MobileNetV3Small|EfficientNetB0|ResNet50
    kernel_sizes = [3, 5]         # optional, conv archs only: parallel branches, concatenated
    image_size = [64, 64]         # image settings: image_size [height, width],
    color_mode = "rgb"            #   color_mode grayscale|rgb|rgba
    # text settings: vocab_size (integer >= 3), sequence_length (integer >= 1)
    # timeseries settings: window (integer >= 2), features (integer >= 1: numeric columns per
    #   time step; required in a model with several inputs or outputs)

    [outputs.same]                # one table per output; input and output names all differ
    task = "binary"               # required: binary|multiclass|multilabel|regression|forecast|tagging
    classes = ["different", "same"]  # optional: fixed class names (binary: exactly 2, the 2nd
                                  #   is positive; multiclass, tagging: >= 2; multilabel: >= 1)
    labels = "onehot"             # optional, multiclass only: int|onehot (default int)
    loss_weight = 1.0             # optional: a number > 0 (default 1)
    per_step = true               # optional, regression only: one value per time step

    [trunk]                       # optional: Dense layers after the inputs' features are merged
    units = [64]                  # one shared stack, or
    branches = [[32], [64, 32]]   #   parallel branches, concatenated (not both)

A model with several inputs or outputs reads image, text and timeseries inputs only. forecast
needs exactly one timeseries input and one output; tagging and per_step regression need exactly
one text or timeseries input, read by a recurrent arch (gru, lstm, bilstm).
"""

from __future__ import annotations

import bisect
import json
import keyword
import math
import re
import tomllib
from dataclasses import replace
from pathlib import Path

from kgen.errors import KgenError
from kgen.generate import (
    COLOR_MODES,
    CONV_ARCHS,
    INPUT_SETTINGS,
    MODALITIES,
    PER_STEP_MODALITIES,
    PRETRAINED,
    RECURRENT,
    SAMPLES_CSV_MODALITIES,
    InputSpec,
    OutputSpec,
    ScriptSpec,
    default_arch,
    tasks_for,
)
from kgen.heads import LABEL_ENCODINGS, TASKS, head_for

Keys = tuple[str, ...]  # a dotted key as a path of names: ("outputs", "same", "task")

INPUT_KEYS = ("data", "arch", "pretrained", "kernel_sizes")
OUTPUT_KEYS = ("task", "classes", "labels", "loss_weight", "per_step")
SETTING_MINIMUMS = {"vocab_size": 3, "sequence_length": 1, "window": 2, "features": 1}
ALL_SETTINGS = tuple(dict.fromkeys(key for keys in INPUT_SETTINGS.values() for key in keys))
# How many fixed class names each classification task takes: (at least, at most).
CLASS_COUNTS = {
    "binary": (2, 2),
    "multiclass": (2, None),
    "multilabel": (1, None),
    "tagging": (2, None),
}


def load_spec(path: Path) -> ScriptSpec:
    """The validated spec a TOML file describes; any problem is a one-line KgenError."""
    text = _read(path)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise KgenError(_syntax_error(path, text, exc)) from None
    return _Checker(path, _locate(text)).spec(document)


def _read(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KgenError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        raise KgenError(f"{path}:{line}:{column}: invalid TOML: not UTF-8 text") from None


_AT = re.compile(r"(.*) \(at (?:line (\d+), column (\d+)|end of document)\)", re.DOTALL)


def _syntax_error(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> str:
    # tomllib says where in its message: "Invalid value (at line 3, column 9)".
    match = _AT.fullmatch(str(exc))
    if match is None:
        return f"{path}:1:1: invalid TOML: {exc}"
    message, line, column = match.groups()
    if line is None:  # at end of document
        lines = text.split("\n")
        line, column = len(lines), len(lines[-1]) + 1
    return f"{path}:{line}:{column}: invalid TOML: {message}"


class _Checker:
    """Validates a parsed document and builds the ScriptSpec; raises at the first problem."""

    def __init__(self, path: Path, positions: dict[Keys, tuple[int, int]]):
        self.path = path
        self.positions = positions

    def error(self, keys: Keys, message: str) -> KgenError:
        # A key that is not written (missing, or implied) is reported at its nearest table.
        line, column = next(
            (
                self.positions[keys[:n]]
                for n in range(len(keys), 0, -1)
                if keys[:n] in self.positions
            ),
            (1, 1),
        )
        return KgenError(f"{self.path}:{line}:{column}: {_field(keys)}: {message}")

    def expected(self, keys: Keys, what: str, value) -> KgenError:
        return self.error(keys, f"expected {what}, got {_show(value)}")

    # Generic checks of one value.

    def table(self, keys: Keys, value, allowed: tuple[str, ...], suggest=()) -> dict:
        if not isinstance(value, dict):
            raise self.expected(keys, "a table", value)
        for key in value:
            if key not in allowed:
                raise self.error(
                    keys + (key,),
                    f"unknown key {key!r}; expected one of: {', '.join(suggest or allowed)}",
                )
        return value

    def choice(self, keys: Keys, value, kind: str, choices) -> str:
        if not isinstance(value, str):
            raise self.expected(keys, "a string", value)
        if value not in choices:
            raise self.error(keys, f"unknown {kind} {value!r}; choose one of: {', '.join(choices)}")
        return value

    def identifier(self, keys: Keys, name, kind: str) -> str:
        # Names become Keras layer names and Python variables: ASCII identifiers keep both safe.
        if not isinstance(name, str):
            raise self.expected(keys, "a string, a Python identifier", name)
        if not (name.isascii() and name.isidentifier()):
            raise self.error(
                keys,
                f"{kind} name {name!r} is not a Python identifier "
                "(ASCII letters, digits and _, not starting with a digit)",
            )
        if keyword.iskeyword(name):
            raise self.error(keys, f"{kind} name {name!r} is a Python keyword; choose another")
        return name

    def positive_ints(self, keys: Keys, value) -> tuple[int, ...]:
        if not _positive_ints(value):
            raise self.expected(keys, "a non-empty array of positive integers", value)
        return tuple(value)

    def named_tables(self, keys: Keys, value, kind: str, example: str) -> dict:
        if value is None or value == {}:
            raise self.error(keys, f"at least one {kind} is required, e.g. {example}")
        if not isinstance(value, dict):
            raise self.expected(keys, f"a table of {keys[0]}, one [{keys[0]}.NAME] each", value)
        for name, table in value.items():
            self.identifier(keys + (name,), name, kind)
            if not isinstance(table, dict):
                raise self.expected(keys + (name,), f"a table, [{keys[0]}.{name}]", table)
        return value

    # The document, table by table.

    def spec(self, document: dict) -> ScriptSpec:
        self.table((), document, ("name", "inputs", "outputs", "trunk"))
        name = document.get("name")
        if name is not None:
            self.identifier(("name",), name, "model")
        raw_inputs = self.named_tables(
            ("inputs",),
            document.get("inputs"),
            "input",
            '[inputs.photo] with data = "image"',
        )
        inputs = [self.input(("inputs", key), table) for key, table in raw_inputs.items()]
        raw_outputs = self.named_tables(
            ("outputs",),
            document.get("outputs"),
            "output",
            '[outputs.label] with task = "binary"',
        )
        outputs = [self.output(("outputs", key), table) for key, table in raw_outputs.items()]
        for output in outputs:
            if output.name in raw_inputs:
                raise self.error(
                    ("outputs", output.name),
                    f"{output.name!r} names an input too; input and output names must all "
                    "differ (they name Keras layers)",
                )
        trunk = self.trunk(("trunk",), document["trunk"]) if "trunk" in document else ()
        per_step = any(output.per_step for output in outputs)
        inputs = [
            replace(spec, arch=spec.arch or default_arch(spec.modality.name, per_step))
            for spec in inputs
        ]
        self.model(inputs, outputs)
        return ScriptSpec(tuple(inputs), tuple(outputs), trunk, source=str(self.path), name=name)

    def input(self, keys: Keys, table: dict) -> InputSpec:
        """The input, with arch None when the file leaves it to the default."""
        data = table.get("data")
        # Suggest the settings of the input's data where it is known, all of them otherwise.
        known = isinstance(data, str) and data in MODALITIES
        settings = INPUT_SETTINGS.get(data, ()) if known else ALL_SETTINGS
        self.table(keys, table, INPUT_KEYS + ALL_SETTINGS, INPUT_KEYS + settings)
        if "data" not in table:
            raise self.error(keys, f"missing key 'data'; choose one of: {', '.join(MODALITIES)}")
        data = self.choice(keys + ("data",), table["data"], "data", tuple(MODALITIES))
        modality = MODALITIES[data]
        arch, pretrained = table.get("arch"), table.get("pretrained")
        if pretrained is not None:
            pretrained = self.pretrained(keys + ("pretrained",), pretrained, data, arch)
            arch = "pretrained"
        elif arch is not None:
            if not isinstance(arch, str):
                raise self.expected(keys + ("arch",), "a string", arch)
            if arch not in modality.archs:
                raise self.error(
                    keys + ("arch",),
                    f"arch {arch!r} does not fit data {data}; choose one of: "
                    f"{', '.join(modality.archs)}",
                )
        kernel_sizes = ()
        if "kernel_sizes" in table:
            kernel_sizes = self.positive_ints(keys + ("kernel_sizes",), table["kernel_sizes"])
        settings = tuple(
            (key, self.setting(keys + (key,), value, data))
            for key, value in table.items()
            if key in ALL_SETTINGS
        )
        return InputSpec(keys[-1], modality, arch, pretrained, kernel_sizes, settings)

    def pretrained(self, keys: Keys, base, data: str, arch) -> str:
        self.choice(keys, base, "pretrained base", tuple(PRETRAINED))
        if data != "image":
            raise self.error(keys, f"pretrained bases read data image only, not {data}")
        if arch is not None:
            raise self.error(keys, "pretrained replaces arch; give one or the other")
        return base

    def setting(self, keys: Keys, value, data: str):
        key = keys[-1]
        if key not in INPUT_SETTINGS.get(data, ()):
            takes = ", ".join(INPUT_SETTINGS.get(data, ()))
            takes = f"which take: {takes}" if takes else "which take no settings"
            raise self.error(keys, f"{key} is not a setting of {data} inputs, {takes}")
        if key == "image_size":
            if not (_positive_ints(value) and len(value) == 2):
                raise self.expected(keys, "[height, width], two positive integers", value)
            return tuple(value)
        if key == "color_mode":
            return self.choice(keys, value, "color_mode", tuple(COLOR_MODES))
        if key == "columns":
            if not (value and _names(value)):
                raise self.expected(keys, "a non-empty array of column names", value)
            repeated = _first_repeat(value)
            if repeated is not None:
                raise self.error(keys, f"column {repeated!r} appears twice")
            return tuple(value)
        if not (_is_int(value) and value >= SETTING_MINIMUMS[key]):
            raise self.expected(keys, f"an integer >= {SETTING_MINIMUMS[key]}", value)
        return value

    def output(self, keys: Keys, table: dict) -> OutputSpec:
        self.table(keys, table, OUTPUT_KEYS)
        if "task" not in table:
            raise self.error(keys, f"missing key 'task'; choose one of: {', '.join(TASKS)}")
        task = self.choice(keys + ("task",), table["task"], "task", TASKS)
        classes = ()
        if "classes" in table:
            classes = self.classes(keys + ("classes",), table["classes"], task)
        labels = table.get("labels")
        if labels is not None:
            self.choice(keys + ("labels",), labels, "labels", LABEL_ENCODINGS)
            if task != "multiclass":
                raise self.error(
                    keys + ("labels",),
                    f"labels is for task multiclass only, not {task}",
                )
        loss_weight = table.get("loss_weight", 1.0)
        if not (_is_number(loss_weight) and math.isfinite(loss_weight) and loss_weight > 0):
            raise self.expected(keys + ("loss_weight",), "a number > 0", loss_weight)
        per_step = task == "tagging"
        if "per_step" in table:
            per_step = table["per_step"]
            if not isinstance(per_step, bool):
                raise self.expected(keys + ("per_step",), "true or false", per_step)
            if task != "regression":
                raise self.error(
                    keys + ("per_step",),
                    f"per_step is for task regression only (tagging always is), not {task}",
                )
        head = head_for(task, labels or "int", per_step)
        return OutputSpec(keys[-1], task, head, classes, float(loss_weight), per_step)

    def classes(self, keys: Keys, value, task: str) -> tuple[str, ...]:
        if task not in CLASS_COUNTS:
            raise self.error(
                keys, f"classes is for tasks {', '.join(CLASS_COUNTS)} only, not {task}"
            )
        if not _names(value):
            raise self.expected(keys, "an array of non-empty strings", value)
        repeated = _first_repeat(value)
        if repeated is not None:
            raise self.error(keys, f"class {repeated!r} appears twice; class names must differ")
        least, most = CLASS_COUNTS[task]
        if most == least and len(value) != least:
            raise self.error(
                keys,
                f"{task} takes exactly {least} classes (the 2nd is positive), got {len(value)}",
            )
        if len(value) < least:
            plural = "es" if least > 1 else ""
            raise self.error(keys, f"{task} takes at least {least} class{plural}, got {len(value)}")
        return tuple(value)

    def trunk(self, keys: Keys, value) -> tuple[tuple[int, ...], ...]:
        table = self.table(keys, value, ("units", "branches"))
        if "units" in table and "branches" in table:
            raise self.error(keys + ("branches",), "give units or branches, not both")
        if "units" in table:
            return (self.positive_ints(keys + ("units",), table["units"]),)
        branches = table.get("branches")
        if branches is None:
            return ()
        if not (isinstance(branches, list) and branches and all(map(_positive_ints, branches))):
            raise self.expected(
                keys + ("branches",),
                "a non-empty array of non-empty arrays of positive integers, e.g. [[32], [64, 32]]",
                branches,
            )
        return tuple(map(tuple, branches))

    # Rules across tables.

    def model(self, inputs: list[InputSpec], outputs: list[OutputSpec]) -> None:
        for spec in inputs:
            if spec.kernel_sizes and spec.arch not in CONV_ARCHS:
                raise self.error(
                    ("inputs", spec.name, "kernel_sizes"),
                    f"kernel_sizes needs a conv arch ({', '.join(CONV_ARCHS)}), "
                    f"not {spec.pretrained or spec.arch}",
                )
        for output in outputs:
            self.task(output, inputs, outputs)
        if len(inputs) > 1 or len(outputs) > 1:
            for spec in inputs:
                self.samples_csv_input(spec)
            # samples.csv has a column per input file, per feature column and per output.
            taken = {spec.name for spec in inputs if spec.modality.name != "vector"}
            taken |= {output.name for output in outputs}
            for spec in inputs:
                for column in spec.setting("columns", ()):
                    if column in taken:
                        raise self.error(
                            ("inputs", spec.name, "columns"),
                            f"column {column!r} is already the samples.csv column of an input, "
                            "output or other feature; name it differently",
                        )
                    taken.add(column)
            texts = [spec for spec in inputs if spec.modality.name == "text"]
            if len(texts) > 1:  # the script has one vocabulary and one set of text settings
                raise self.error(
                    ("inputs", texts[1].name, "data"),
                    "a model with several inputs or outputs reads one text input at most",
                )

    def task(self, output: OutputSpec, inputs: list[InputSpec], outputs: list[OutputSpec]) -> None:
        keys = ("outputs", output.name, "task")
        if len(inputs) == 1 and output.task not in tasks_for(inputs[0].modality.name):
            data = inputs[0].modality.name
            raise self.error(
                keys,
                f"task {output.task} does not suit the {data} input {inputs[0].name}; "
                f"choose one of: {', '.join(tasks_for(data))}",
            )
        if output.task == "forecast" and not (len(inputs) == 1 and len(outputs) == 1):
            raise self.error(keys, "forecast needs exactly one timeseries input and one output")
        if output.per_step:
            self.per_step(output, inputs)

    def per_step(self, output: OutputSpec, inputs: list[InputSpec]) -> None:
        tagging = output.task == "tagging"
        keys = ("outputs", output.name, "task" if tagging else "per_step")
        what = "tagging" if tagging else "per_step regression"
        if len(inputs) != 1:
            raise self.error(keys, f"{what} needs exactly one input, not {len(inputs)}")
        (spec,) = inputs
        if spec.modality.name not in PER_STEP_MODALITIES:
            raise self.error(
                keys,
                f"{what} needs a {' or '.join(PER_STEP_MODALITIES)} input, "
                f"not {spec.modality.name}",
            )
        if spec.arch not in RECURRENT:
            raise self.error(
                ("inputs", spec.name, "arch"),
                f"output {output.name} predicts per time step, which needs a recurrent arch; "
                f"choose one of: {', '.join(a for a in spec.modality.archs if a in RECURRENT)}",
            )

    def samples_csv_input(self, spec: InputSpec) -> None:
        # Each sample of a several-input or several-output model is one row of samples.csv.
        data = spec.modality.name
        if data not in SAMPLES_CSV_MODALITIES:
            raise self.error(
                ("inputs", spec.name, "data"),
                f"{data} is not supported in a model with several inputs or outputs yet; "
                f"use one of: {', '.join(SAMPLES_CSV_MODALITIES)}",
            )
        if spec.pretrained:
            raise self.error(
                ("inputs", spec.name, "pretrained"),
                "pretrained bases are not supported in a model with several inputs or outputs yet",
            )
        if data == "vector" and spec.setting("columns") is None:
            raise self.error(
                ("inputs", spec.name),
                "missing key 'columns' (the samples.csv columns holding its features), which a "
                "vector input of a model with several inputs or outputs needs",
            )
        if data == "timeseries" and spec.setting("features") is None:
            raise self.error(
                ("inputs", spec.name),
                "missing key 'features' (numeric columns per time step), which a timeseries "
                "input of a model with several inputs or outputs needs",
            )


def _names(value) -> bool:
    """An array of non-empty strings (class or column names)."""
    return isinstance(value, list) and all(isinstance(name, str) and name for name in value)


def _first_repeat(names: list[str]) -> str | None:
    return next((name for i, name in enumerate(names) if name in names[:i]), None)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # TOML true is no number


def _is_number(value) -> bool:
    return _is_int(value) or isinstance(value, float)


def _positive_ints(value) -> bool:
    return isinstance(value, list) and bool(value) and all(_is_int(v) and v > 0 for v in value)


def _printable(char: str) -> str:
    # JSON's string escapes are TOML's; escape the rest too, so a message stays one line.
    if char.isprintable():
        return char
    return f"\\u{ord(char):04x}" if ord(char) < 0x10000 else f"\\U{ord(char):08x}"


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _field(keys: Keys) -> str:
    """A dotted key as TOML spells it: outputs.same.task, inputs."my photo"."""
    return ".".join(key if _BARE_KEY.fullmatch(key) else _show(key) for key in keys)


def _show(value) -> str:
    """A value in a message, as TOML spells it, on one line and short."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = "".join(map(_printable, json.dumps(value, ensure_ascii=False)))
    elif isinstance(value, list):
        text = "[" + ", ".join(map(_show, value)) + "]"
    elif isinstance(value, dict):
        return "a table"
    elif isinstance(value, float) and not math.isfinite(value):
        text = str(value)  # nan, inf, -inf: as TOML writes them
    elif hasattr(value, "isoformat"):
        text = value.isoformat()
    else:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# Where keys are written. tomllib gives no positions, so scan the text, already known to be
# valid TOML, for table headers and `key =` assignments (dotted keys and inline tables too),
# skipping strings and comments so that their contents never count as keys.
_KEY = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')"""
_DOTTED_KEY = rf"{_KEY}(?:[ \t]*\.[ \t]*{_KEY})*"
_HEADER = re.compile(rf"\[\[?[ \t]*({_DOTTED_KEY})[ \t]*\]\]?")
_ASSIGNMENT = re.compile(rf"({_DOTTED_KEY})[ \t]*=")


def _locate(text: str) -> dict[Keys, tuple[int, int]]:
    """(line, column), 1-based, of each key and table header, by its path of names."""
    positions: dict[Keys, tuple[int, int]] = {}
    line_starts = [0] + [match.end() for match in re.finditer("\n", text)]

    def record(keys: Keys, offset: int) -> None:
        line = bisect.bisect_right(line_starts, offset)
        for n in range(1, len(keys) + 1):  # a header or dotted key also defines its parents
            positions.setdefault(keys[:n], (line, offset - line_starts[line - 1] + 1))

    table: Keys = ()  # the current [table]
    key: Keys = ()  # the last key assigned
    nested: list[tuple[str, Keys]] = []  # open "{" and "[" in values, with the key they belong to
    expect_key = True
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\n" and not nested:
            expect_key = True
        if char in " \t\r\n":
            i += 1
            continue
        if char == "#":
            i = text.find("\n", i) if "\n" in text[i:] else len(text)
            continue
        if expect_key:
            expect_key = False
            header = None if nested else _HEADER.match(text, i)
            if header:
                table = key = _split_key(header.group(1))
                record(table, i)
                i = header.end()
                continue
            assignment = _ASSIGNMENT.match(text, i)
            if assignment:
                key = (nested[-1][1] if nested else table) + _split_key(assignment.group(1))
                record(key, i)
                i = assignment.end()
                continue
        if char in "\"'":
            i = _string_end(text, i)
            continue
        if char in "{[":
            nested.append((char, key))
            expect_key = char == "{"
        elif char in "}]" and nested:
            nested.pop()
            key = nested[-1][1] if nested else key
        elif char == "," and nested and nested[-1][0] == "{":
            expect_key = True
        i += 1
    return positions


def _split_key(dotted: str) -> Keys:
    return tuple(_unquote(part) for part in re.findall(_KEY, dotted))


def _unquote(part: str) -> str:
    if part.startswith('"'):
        return tomllib.loads(f"k = {part}")["k"]  # TOML's own escapes
    return part.strip("'")


def _string_end(text: str, i: int) -> int:
    """The offset just past the string that starts at text[i]."""
    quote = text[i]
    delimiter = quote * 3 if text.startswith(quote * 3, i) else quote
    j = i + len(delimiter)
    while j < len(text):
        if quote == '"' and text[j] == "\\":
            j += 2
        elif text.startswith(delimiter, j):
            end = j + len(delimiter)
            while len(delimiter) == 3 and end < len(text) and text[end] == quote and end - j < 5:
                end += 1  # """a"""" ends with a quote inside the string
            return end
        else:
            j += 1
    return len(text)
