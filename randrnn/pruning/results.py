"""Pruning results in the study database: two tables owned by this module, and result tables.

``prune_base``
    One trained base model per (model, cell, seed, config hash): ``model`` is
    ``dense:50,50,50`` or ``graph:<id>``; ``checkpoint`` and ``waea_stats`` are paths relative
    to the study directory (``checkpoints/…``, state dicts of plain tensors); ``history`` is the
    per-epoch JSON (train_acc, train_loss, test_acc, test_loss); test accuracy and loss, seconds
    and effective parameters of the trained model.
``prune_runs``
    One row per (base, method, options hash, target, scope, level, retrain epochs) — UNIQUE, so
    an interrupted study resumes without repeating finished levels. ``level`` is the requested
    percentage of the existing weights of the target; ``accs``/``losses`` list the test numbers
    after each retraining epoch; ``epochs_to_regain`` is 0 if pruning cost less than the
    tolerance, the first retraining epoch back within it, or NULL (never); ``sparsity`` is the
    fraction actually pruned over the target, ``sparsity_detail`` per weight set, gate and
    matrix (JSON); ``gate_activity`` the mean WAEA activity per gate (JSON, WAEA only).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd

from randrnn.errors import RandRNNError
from randrnn.store import Study, config_hash, utc_now

SCHEMA = """
CREATE TABLE IF NOT EXISTS prune_base (
    id INTEGER PRIMARY KEY,
    model TEXT NOT NULL,
    cell TEXT NOT NULL,
    seed INTEGER NOT NULL,
    config_hash TEXT NOT NULL,
    config TEXT NOT NULL,
    checkpoint TEXT NOT NULL,
    waea_stats TEXT,
    test_acc REAL NOT NULL,
    test_loss REAL NOT NULL,
    train_seconds REAL NOT NULL,
    effective_params INTEGER NOT NULL,
    history TEXT NOT NULL,
    created TEXT NOT NULL,
    UNIQUE (model, cell, seed, config_hash)
);
CREATE TABLE IF NOT EXISTS prune_runs (
    id INTEGER PRIMARY KEY,
    base_id INTEGER NOT NULL REFERENCES prune_base(id),
    method TEXT NOT NULL,
    options_hash TEXT NOT NULL,
    options TEXT NOT NULL,
    target TEXT NOT NULL,
    scope TEXT NOT NULL,
    level REAL NOT NULL,
    retrain_epochs INTEGER NOT NULL,
    tolerance REAL NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('done')),
    acc_before REAL NOT NULL,
    acc_pruned REAL NOT NULL,
    loss_pruned REAL NOT NULL,
    acc_final REAL NOT NULL,
    accs TEXT NOT NULL,
    losses TEXT NOT NULL,
    epochs_to_regain INTEGER,
    sparsity REAL NOT NULL,
    sparsity_detail TEXT NOT NULL,
    effective_params INTEGER NOT NULL,
    gate_activity TEXT,
    seconds REAL NOT NULL,
    created TEXT NOT NULL,
    UNIQUE (base_id, method, options_hash, target, scope, level, retrain_epochs)
);
"""

# docs/method.md §7: the thesis' safe pruning levels (percent), by (cell, target); kept only
# here (the report's thesis comparison reads them too).
THESIS_SAFE: dict[tuple[str, str], int] = {
    (cell, target): level
    for target, levels in {
        "both": (80, 70, 60, 80),
        "i2h": (70, 70, 70, 80),
        "h2h": (80, 70, 90, 90),
    }.items()
    for cell, level in zip(("rnn_tanh", "rnn_relu", "lstm", "gru"), levels)
}

RUN_COLUMNS = [
    "run_id",
    "base_id",
    "model",
    "cell",
    "seed",
    "method",
    "label",
    "target",
    "scope",
    "level",
    "sparsity",
    "sparsity_i2h",
    "sparsity_h2h",
    "acc_before",
    "acc_pruned",
    "acc_final",
    "epochs_to_regain",
    "retrain_epochs",
    "tolerance",
    "effective_params",
    "seconds",
    "options_hash",
]


def ensure_tables(study: Study) -> None:
    """Create this module's tables if the study lacks them."""
    study.execute_script(SCHEMA)


def level_key(level: float) -> float:
    """Levels are stored rounded to 1e-6 percent, so 30.000000001 and 30 are one level."""
    return round(float(level), 6)


def find_base(study: Study, model: str, cell: str, seed: int, config: dict) -> dict | None:
    """The stored base model of this (model, cell, seed, config), or None."""
    with study.reading() as conn:
        row = conn.execute(
            "SELECT * FROM prune_base WHERE model = :model AND cell = :cell AND seed = :seed"
            " AND config_hash = :hash",
            {"model": model, "cell": cell, "seed": seed, "hash": config_hash(config)},
        ).fetchone()
    return None if row is None else _base_dict(row)


def add_base(study: Study, record: dict[str, Any]) -> int:
    """Store a trained base model and return its id."""
    row = {
        **record,
        "config_hash": config_hash(record["config"]),
        "config": json.dumps(record["config"], sort_keys=True),
        "history": json.dumps(record["history"]),
        "created": utc_now(),
    }
    with study.transaction() as conn:
        return conn.execute(
            "INSERT INTO prune_base (model, cell, seed, config_hash, config, checkpoint,"
            " waea_stats, test_acc, test_loss, train_seconds, effective_params, history, created)"
            " VALUES (:model, :cell, :seed, :config_hash, :config, :checkpoint, :waea_stats,"
            " :test_acc, :test_loss, :train_seconds, :effective_params, :history, :created)",
            row,
        ).lastrowid


def bases(study: Study) -> list[dict]:
    """All base models by id, JSON fields parsed (none if the study never pruned)."""
    if not has_tables(study):
        return []
    with study.reading() as conn:
        rows = conn.execute("SELECT * FROM prune_base ORDER BY id").fetchall()
    return [_base_dict(row) for row in rows]


def done_levels(
    study: Study,
    base_id: int,
    method: str,
    options: dict,
    target: str,
    scope: str,
    retrain_epochs: int,
) -> set[float]:
    """Levels already finished for this experiment (what a resumed study skips)."""
    with study.reading() as conn:
        rows = conn.execute(
            "SELECT level FROM prune_runs WHERE base_id = :base AND method = :method"
            " AND options_hash = :hash AND target = :target AND scope = :scope"
            " AND retrain_epochs = :epochs AND status = 'done'",
            {
                "base": base_id,
                "method": method,
                "hash": config_hash(options),
                "target": target,
                "scope": scope,
                "epochs": retrain_epochs,
            },
        ).fetchall()
    return {level_key(row["level"]) for row in rows}


def add_run(study: Study, record: dict[str, Any]) -> int:
    """Store one finished level; written by column name."""
    row = dict(record)
    row["options_hash"] = config_hash(row["options"])
    row["level"] = level_key(row["level"])
    for key in ("options", "accs", "losses", "sparsity_detail", "gate_activity"):
        row[key] = None if row.get(key) is None else json.dumps(row[key], sort_keys=True)
    row.setdefault("gate_activity", None)
    row["status"] = "done"
    row["created"] = utc_now()
    columns = [
        "base_id",
        "method",
        "options_hash",
        "options",
        "target",
        "scope",
        "level",
        "retrain_epochs",
        "tolerance",
        "status",
        "acc_before",
        "acc_pruned",
        "loss_pruned",
        "acc_final",
        "accs",
        "losses",
        "epochs_to_regain",
        "sparsity",
        "sparsity_detail",
        "effective_params",
        "gate_activity",
        "seconds",
        "created",
    ]
    sql = (
        f"INSERT INTO prune_runs ({', '.join(columns)}) VALUES "
        f"({', '.join(':' + c for c in columns)})"
    )
    with study.transaction() as conn:
        return conn.execute(sql, {c: row[c] for c in columns}).lastrowid


def epochs_to_regain(
    before: float, pruned: float, accs: list[float], tolerance: float
) -> int | None:
    """0 if ``pruned`` is within ``tolerance`` of ``before``; else the first retraining epoch
    (1-based) whose accuracy is; None if none is. Accuracies and tolerance are fractions."""
    floor = before - tolerance - 1e-12
    if pruned >= floor:
        return 0
    return next((e for e, acc in enumerate(accs, start=1) if acc >= floor), None)


def method_label(method: str, options: dict) -> str:
    """A short name for plots and tables: ``magnitude``, ``random``, ``waea α=0.3 signed``.

    A WAEA label always names its reading (rows stored before readings existed are ``signed``,
    the only reading then) and adds every other option that differs from the default.
    """
    if method != "waea":
        return method
    from randrnn.pruning.waea import WaeaOptions  # local: results must not need torch to import

    label = f"waea α={options.get('alpha')} {options.get('reading', 'signed')}"
    defaults = WaeaOptions().to_dict()
    shown = ("alpha", "reading")
    others = {k: v for k, v in options.items() if k not in shown and defaults.get(k) != v}
    if others:
        label += " (" + ", ".join(f"{k}={v}" for k, v in sorted(others.items())) + ")"
    return label


def runs(study: Study) -> list[dict]:
    """All pruning runs joined with their base model, JSON fields parsed."""
    if not has_tables(study):
        return []
    with study.reading() as conn:
        rows = conn.execute(
            "SELECT r.*, b.model, b.cell, b.seed, b.config_hash FROM prune_runs r"
            " JOIN prune_base b ON b.id = r.base_id ORDER BY b.id, r.method, r.options_hash,"
            " r.target, r.scope, r.level"
        ).fetchall()
    out = []
    for row in rows:
        run = dict(row)
        for key in ("options", "accs", "losses", "sparsity_detail", "gate_activity"):
            run[key] = None if run[key] is None else json.loads(run[key])
        run["label"] = method_label(run["method"], run["options"])
        out.append(run)
    return out


def results_table(study: Study, tolerance: float | None = None) -> pd.DataFrame:
    """One row per finished level (``RUN_COLUMNS``); ``tolerance`` recomputes epochs_to_regain."""
    records = []
    for run in runs(study):
        record = {name: run.get(name) for name in RUN_COLUMNS}
        record["run_id"] = run["id"]
        record["sparsity_i2h"] = run["sparsity_detail"].get("i2h")
        record["sparsity_h2h"] = run["sparsity_detail"].get("h2h")
        if tolerance is not None:
            record["tolerance"] = tolerance
            record["epochs_to_regain"] = epochs_to_regain(
                run["acc_before"], run["acc_pruned"], run["accs"], tolerance
            )
        records.append(record)
    return pd.DataFrame.from_records(records, columns=RUN_COLUMNS)


def safe_levels(table: pd.DataFrame) -> pd.DataFrame:
    """Safe level per model, cell, target and method, beside the thesis' (docs/method.md §7).

    Safe = the highest level such that it and every lower level lost at most the tolerance
    right after pruning, before any retraining (``epochs_to_regain == 0``); 0 if even the lowest
    level lost more.
    """
    columns = ["model", "cell", "target", "label", "scope", "safe_level", "thesis"]
    if table.empty:
        return pd.DataFrame(columns=columns)
    records = []
    for key, group in table.groupby(["model", "cell", "target", "label", "scope"], sort=True):
        safe = 0.0
        for _, row in group.sort_values("level").iterrows():
            if row["epochs_to_regain"] != 0:
                break
            safe = row["level"]
        model, cell, target, label, scope = key
        thesis = THESIS_SAFE.get((cell, target)) if model == "dense:50,50,50" else None
        records.append(dict(zip(columns, (model, cell, target, label, scope, safe, thesis))))
    return pd.DataFrame.from_records(records, columns=columns)


# --------------------------------------------------------------------------- per graph

GRAPH_KEYS = ["graph_id", "cell", "config_hash"]  # a structure study's run (replicate 0)


def experiment_tag(method: str, options: dict, target: str, scope: str) -> str:
    """A column-name tag of one pruning experiment: the method (WAEA with α and reading), then
    the target unless ``both`` and the scope unless ``global``: ``magnitude``, ``random_h2h``,
    ``waea_a0.3_signed``."""
    parts = [method]
    if method == "waea":
        parts += [f"a{options.get('alpha', 0.3):g}", str(options.get("reading", "signed"))]
    if target != "both":
        parts.append(target)
    if scope != "global":
        parts.append(scope)
    return "_".join(parts)


def _level_name(level: float) -> str:
    return f"{level:g}".replace(".", "p")


def graph_curves(study: Study, tolerance: float | None = None) -> pd.DataFrame:
    """The pruning curve of every study graph's model: one row per (graph, cell, config,
    experiment, level) with the accuracy before, right after pruning and after retraining.
    Only base models of study graphs (``graph:<id>``); empty if there are none."""
    columns = [*GRAPH_KEYS, "tag", "label", "method", "target", "scope", "retrain_epochs",
               "level", "tolerance", "acc_before", "acc_pruned", "acc_final", "sparsity"]  # fmt: skip
    records = []
    for run in runs(study):
        if not run["model"].startswith("graph:"):
            continue
        records.append(
            {
                "graph_id": int(run["model"].split(":", 1)[1]),
                "cell": run["cell"],
                "config_hash": run["config_hash"],
                "tag": experiment_tag(run["method"], run["options"], run["target"], run["scope"]),
                **{k: run[k] for k in columns[4:] if k not in ("tolerance",)},
                "tolerance": run["tolerance"] if tolerance is None else tolerance,
            }
        )
    frame = pd.DataFrame.from_records(records, columns=columns)
    clash = frame.groupby([*GRAPH_KEYS, "tag", "level"])["retrain_epochs"].nunique()
    if (clash > 1).any():
        tag = clash[clash > 1].index[0][3]
        raise RandRNNError(
            f"pruning experiment '{tag}' was run with several retraining epochs on one graph; "
            "use one study per setting"
        )
    return frame


def graph_safe_levels(curves: pd.DataFrame) -> pd.DataFrame:
    """Per graph model and experiment: the safe level — the highest level such that it and every
    lower level are within the tolerance of the unpruned accuracy *after retraining* (0 if
    even the lowest is not) — beside the unpruned accuracy and the levels run."""
    columns = [*GRAPH_KEYS, "tag", "label", "acc_before", "safe_level", "levels"]
    records = []
    for key, group in curves.groupby([*GRAPH_KEYS, "tag"], sort=True):
        safe = 0.0
        for row in group.sort_values("level").itertuples():
            if row.acc_final < row.acc_before - row.tolerance - 1e-12:
                break
            safe = float(row.level)
        first = group.iloc[0]
        records.append(dict(zip(columns, (*key, first["label"], first["acc_before"], safe,
                                          len(group)))))  # fmt: skip
    return pd.DataFrame.from_records(records, columns=columns)


def graph_columns(study: Study, tolerance: float | None = None) -> pd.DataFrame:
    """The pruning outcomes of each study graph's model as columns, one row per (graph_id,
    cell, config_hash), for the analysis to read like accuracy:

    ``safe_level_<tag>`` (`graph_safe_levels`), ``acc_<tag>_<level>`` (test accuracy after
    retraining at that level) and ``pruned_<tag>_<level>`` (right after pruning), with ``<tag>``
    from `experiment_tag` and levels written as ``50`` (``12p5`` for 12.5). With one experiment
    in the study, ``safe_level`` is that experiment's too. Empty if no graph was pruned.
    """
    curves = graph_curves(study, tolerance) if has_tables(study) else pd.DataFrame()
    if curves.empty:
        return pd.DataFrame(columns=GRAPH_KEYS)
    safe = graph_safe_levels(curves)
    wide = safe.pivot(index=GRAPH_KEYS, columns="tag", values="safe_level")
    wide.columns = [f"safe_level_{tag}" for tag in wide.columns]
    parts = [wide]
    for prefix, column in (("acc", "acc_final"), ("pruned", "acc_pruned")):
        values = curves.pivot_table(index=GRAPH_KEYS, columns=["tag", "level"], values=column)
        values.columns = [f"{prefix}_{tag}_{_level_name(level)}" for tag, level in values.columns]
        parts.append(values)
    out = pd.concat(parts, axis=1).reset_index()
    tags = sorted(safe["tag"].unique())
    if len(tags) == 1:
        out["safe_level"] = out[f"safe_level_{tags[0]}"]
    return out


def safe_level_tags(columns: list[str]) -> list[str]:
    """The ``safe_level_<tag>`` columns among ``columns``."""
    return [c for c in columns if c.startswith("safe_level_")]


def has_tables(study: Study) -> bool:
    """Whether the study holds this module's tables (it has run a pruning experiment)."""
    return study.has_table("prune_base") and study.has_table("prune_runs")


def has_results(study: Study) -> bool:
    """Whether the study holds any pruning result (a trained base model, pruned levels)."""
    return has_tables(study) and bool(bases(study))


def _base_dict(row: Any) -> dict:
    base = dict(row)
    base["config"] = json.loads(base["config"])
    base["history"] = json.loads(base["history"])
    return base


PRUNING_TARGET = re.compile(r"^(safe_level|(acc|pruned)_(magnitude|waea|random))")


def missing_target(columns: list[str], target: str, source: str) -> str | None:
    """The one-line error for an analysis ``--target`` that names a per-graph pruning column
    (``safe_level...``, ``acc_<method>_<level>``, ``pruned_<method>_<level>``) missing from a
    table; None for any other target."""
    if not PRUNING_TARGET.match(target):
        return None
    safe = safe_level_tags(columns)
    if not safe:
        return (
            f"{source} has no pruning results of its graphs' models for --target {target}; "
            "prune them first: randrnn prune --graphs all --cells CELLS"
        )
    if target == "safe_level":
        return (
            f"--target safe_level: {source} has {len(safe)} pruning experiments; "
            f"choose one of {', '.join(safe)}"
        )
    others = [c for c in columns if PRUNING_TARGET.match(c) and c not in safe]
    shown = ", ".join(others[:6]) + (", ..." if len(others) > 6 else "")
    return f"--target {target}: no such column; pruning columns: {', '.join(safe)}, {shown}"
