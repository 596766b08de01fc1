"""The training configs of the runs a report analyses, and how they differ from the thesis'
protocol (docs/method.md §5): listed in the provenance, noted beside the thesis' numbers."""

from __future__ import annotations

import pandas as pd

from randrnn.analysis import table
from randrnn.analysis.report.elements import MISSING, Warn
from randrnn.store import Study

# The thesis' training protocol, which its published numbers come from (docs/method.md §5).
THESIS_PROTOCOL = {"epochs": 15, "batch_size": 128, "batching": "shuffle", "max_train": None,
                   "max_test": None}  # fmt: skip
# The settings of a training config the report lists (TrainConfig fields).
CONFIG_SHOWN = ("epochs", "batch_size", "batching", "data", "max_train", "max_test", "seed",
                "readout", "lr")  # fmt: skip


def cells(df: pd.DataFrame) -> list[str]:
    """The cells of a results table, in the analysis' order."""
    return [key[0] for key, _ in table.groups(df)]


def run_configs(study: Study, runs: pd.DataFrame) -> dict[str, dict]:
    """Per analysed cell, the training config of its runs (one per cell, `table.load_study`)
    with ``config_hash`` and ``replicates`` (runs per graph: 'K' or 'K1–K2')."""
    if runs.empty or "config_hash" not in runs.columns:
        return {}
    described = {c["config_hash"]: c["config"] for c in study.configs()}
    out = {}
    for cell in cells(runs):
        part = runs[runs["cell"] == cell]
        chosen = str(part["config_hash"].iloc[0])
        per_graph = part.groupby("graph_id").size()
        lo, hi = int(per_graph.min()), int(per_graph.max())
        out[cell] = {**described.get(chosen, {}), "config_hash": chosen,
                     "replicates": str(lo) if lo == hi else f"{lo}–{hi}"}  # fmt: skip
    return out


def setting(key: str, value: object) -> str:
    """A config value as the report shows it (no None: an unset subsample is 'all')."""
    if key in ("max_train", "max_test") and table.is_missing(value):
        return "all"
    return MISSING if table.is_missing(value) else str(value)


def config_frame(configs: dict[str, dict]) -> pd.DataFrame:
    """The training configs as a table: one row per distinct config, the cells that used it."""
    rows: dict[tuple, list[str]] = {}
    for cell, cfg in configs.items():
        values = tuple(setting(k, cfg.get(k)) for k in CONFIG_SHOWN)
        key = (*values, cfg["replicates"], cfg["config_hash"])
        rows.setdefault(key, []).append(table.cell_label(cell))
    columns = ["cells", *CONFIG_SHOWN, "replicates", "config"]
    return pd.DataFrame([[", ".join(c), *k] for k, c in rows.items()], columns=columns)


def protocol_differences(configs: dict[str, dict]) -> dict[str, list[str]]:
    """Per cell, how its training differs from the thesis' protocol (empty if it does not)."""
    out = {}
    for cell, cfg in configs.items():
        diffs = []
        for key, theirs in THESIS_PROTOCOL.items():
            ours = cfg.get(key, theirs)
            if ours != theirs:
                shown = "all" if theirs is None else theirs
                diffs.append(f"{key} {setting(key, ours)} (thesis {shown})")
        if cfg.get("data", "shipped") != "shipped":
            diffs.append("its own data set (thesis: the shipped one)")
        out[cell] = diffs
    return out


def protocol_text(configs: dict[str, dict]) -> str:
    """How the runs' training differs from the thesis' protocol, in words ('' if it does not)."""
    differing = {c: d for c, d in protocol_differences(configs).items() if d}
    if not differing:
        return ""
    listed = "; ".join(f"{table.cell_label(c)}: {', '.join(d)}" for c, d in differing.items())
    return (
        f"The thesis trained 15 epochs with batch 128 on random batches of all 18,750 "
        f"training strings and scored on all 6,250 test strings; here {listed}. Numbers "
        "from the two protocols are shown side by side for orientation, not as a replication."
    )


def protocol_note(configs: dict[str, dict]) -> tuple[Warn, ...]:
    """A visible note when a cell's training differs from the thesis' protocol (none if not)."""
    text = protocol_text(configs)
    return (Warn(text, strong="Protocols differ."),) if text else ()
