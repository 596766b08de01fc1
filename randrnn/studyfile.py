"""Study files: a TOML file that names the stages of a study and the options of each.

Each section is a command and each key one of that command's options, spelled as on the command
line without the dashes (``max-train`` or ``max_train``). A list value is joined with commas for
options that take a comma-separated list (``cells = ["gru", "lstm"]``). ``[study]`` holds what the
stages share. A stage may repeat as an array of tables (``[[predict]]`` twice: both protocols),
and in ``[[prune]]`` list values of its ``cell``, ``method``, ``target`` and
``alpha`` keys expand to one pruning experiment per combination. Example::

    [study]
    dir = "quick-study"     # where the study lives (randrnn run --study overrides)
    seed = 0                # every stage's --seed (its help says what it seeds there)

    [generate]
    n = 24
    nodes = "10:20"

    [train-all]
    cells = ["gru", "lstm"]
    epochs = 2

Parsing and checking happen here; the commands themselves are looked up by the CLI, which
hands this module their click definitions so that every option is checked by the same code
that parses it on the command line.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from randrnn.errors import RandRNNError, check_name

# Typer ships its own copy of click, so commands and parameters are used by their attributes
# (opts, is_flag, param_type_name, make_context) rather than by click's classes.
Command = Any

STAGES = ("dataset", "generate", "train-all", "correlate", "predict", "prune", "report")
STUDY_KEYS = {"dir": str, "seed": int, "description": str, "data": str}
EXPANDED = ("cell", "method", "target", "alpha")  # [[prune]] keys that expand to experiments


@dataclass
class Step:
    """One command to run: its stage name and its command-line arguments."""

    stage: str
    options: dict[str, Any]
    args: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return " ".join([self.stage, *self.args])


@dataclass
class StudyFile:
    """A parsed study file: the shared settings and the steps in order."""

    path: Path
    text: str
    study: dict[str, Any]
    steps: list[Step]

    @property
    def study_dir(self) -> Path:
        return Path(self.study["dir"])


def _key(name: str) -> str:
    return name.strip().replace("-", "_")


def _option_names(command: Command) -> dict[str, Any]:
    """Option key (as written in a study file) → click parameter."""
    names = {}
    for param in command.params:
        if param.name == "help":
            continue
        if param.param_type_name == "option":
            long = [o for o in param.opts if o.startswith("--")]
            names[_key(long[0][2:] if long else param.name)] = param
        else:
            names[_key(param.name)] = param
    return names


def _to_args(stage: str, options: Mapping[str, Any], command: Command, where: str) -> list[str]:
    """Translate a section's options to the command's argv, checking keys and value shapes."""
    params = _option_names(command)
    args: list[str] = []
    for raw_key, value in options.items():
        key = _key(raw_key)
        check_name("key", key, sorted(params), f"in [{stage}]", where)
        param = params[key]
        if param.param_type_name == "argument":
            items = value if isinstance(value, list) else [value]
            args += [str(v) for v in items]
            continue
        flag = next(o for o in param.opts if o.startswith("--"))
        if getattr(param, "is_flag", False):
            if not isinstance(value, bool):
                raise RandRNNError(
                    f"{where}: [{stage}] {raw_key} must be true or false, got {value!r}"
                )
            if value:
                args.append(flag)
            elif param.secondary_opts:
                args.append(param.secondary_opts[0])
            continue
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        if isinstance(value, (dict, bool)):
            raise RandRNNError(
                f"{where}: [{stage}] {raw_key} has the wrong kind of value: {value!r}"
            )
        args += [flag, str(value)]
    return args


def _check(stage: str, command: Command, args: list[str], where: str) -> None:
    """Let click parse the arguments exactly as on the command line, without running anything."""
    try:
        command.make_context(stage, list(args), resilient_parsing=False)
    except RandRNNError as exc:  # a registry check in an option's callback (e.g. --negatives)
        raise RandRNNError(f"{where}: [{stage}] {exc}") from None
    except Exception as exc:
        if not hasattr(exc, "format_message"):  # not a usage error: a bug, let it show
            raise
        raise RandRNNError(f"{where}: [{stage}] {exc.format_message()}") from None


def _expand(entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One pruning experiment per combination of the list values of the expanded keys."""
    from randrnn.pruning.grid import grid  # the grid `randrnn prune` expands its lists into

    lists = {k: v for k, v in entry.items() if _key(k) in EXPANDED and isinstance(v, list)}
    return [{**entry, **combo} for combo in grid(lists)]


def load(
    path: str | Path,
    commands: Mapping[str, Command],
    overrides: Mapping[str, Any] | None = None,
    validators: Mapping[tuple[str, str], Callable[[Any], Any]] | None = None,
) -> StudyFile:
    """Read, check and expand a study file. ``overrides`` maps 'stage.key' (or 'study.key')
    to values that replace the file's. ``validators`` check values click cannot know (cell
    names, generators...) and raise RandRNNError."""
    path = Path(path)
    where = str(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise RandRNNError(f"cannot read study file {path}: {exc.strerror}") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RandRNNError(f"{where} is not valid TOML: {exc}") from None
    for dotted, value in (overrides or {}).items():
        section, _, key = dotted.partition(".")
        if not key:
            raise RandRNNError(f"override '{dotted}' must look like stage.key=value")
        target = doc.setdefault(section, {} if section != "prune" else [{}])
        for table in target if isinstance(target, list) else [target]:
            table[key] = value

    for section in doc:
        check_name("section", section, ("study", *STAGES), where=where)
    study = dict(doc.get("study", {}))
    for key, value in study.items():
        check_name("key", key, STUDY_KEYS, "in [study]", where)
        if not isinstance(value, STUDY_KEYS[key]) or isinstance(value, bool):
            raise RandRNNError(
                f"{where}: [study] {key} must be {STUDY_KEYS[key].__name__}, got {value!r}"
            )
    study.setdefault("dir", f"{path.stem}-study")
    if "dataset" in doc and "data" not in study:  # later stages use the data set it makes
        first = doc["dataset"][0] if isinstance(doc["dataset"], list) else doc["dataset"]
        made = first.get("out") if isinstance(first, dict) else None
        study["data"] = str(made or Path(study["dir"]) / "data")

    steps: list[Step] = []
    for stage in STAGES:
        if stage not in doc:
            continue
        section = doc[stage]
        entries = section if isinstance(section, list) else [section]
        for entry in entries:
            if not isinstance(entry, dict):
                raise RandRNNError(f"{where}: [{stage}] must be a table of options")
            for options in _expand(entry) if stage == "prune" else [entry]:
                options = _shared(stage, dict(options), study, commands[stage])
                for (v_stage, v_key), check in (validators or {}).items():
                    if v_stage == stage and _has(options, v_key):
                        value = _get(options, v_key)
                        try:
                            check(value)
                        except RandRNNError as exc:
                            raise RandRNNError(f"{where}: [{stage}] {v_key}: {exc}") from None
                args = _to_args(stage, options, commands[stage], where)
                _check(stage, commands[stage], args, where)
                steps.append(Step(stage, options, args))
    if not steps:
        raise RandRNNError(f"{where} names no stage; add at least one of: {', '.join(STAGES)}")
    return StudyFile(path, text, study, steps)


def _has(options: Mapping[str, Any], key: str) -> bool:
    return any(_key(k) == key for k in options)


def _get(options: Mapping[str, Any], key: str) -> Any:
    return next(v for k, v in options.items() if _key(k) == key)


def _shared(stage: str, options: dict[str, Any], study: dict[str, Any], command: Command) -> dict:
    """Fill in what [study] shares (study dir, seed, data) where the command takes it."""
    params = _option_names(command)
    if "study" in params and not _has(options, "study"):
        options["study"] = study["dir"]
    if "seed" in params and "seed" in study and not _has(options, "seed"):
        options["seed"] = study["seed"]
    if "data" in params and "data" in study and not _has(options, "data"):
        options["data"] = study["data"]
    if stage == "dataset" and not _has(options, "out"):
        options["out"] = str(Path(study["dir"]) / "data")
    return options
