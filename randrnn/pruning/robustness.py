"""Which graph structures survive pruning: per-graph pruning outcomes against graph properties.

Reads what `prune --graphs` stored (`results.graph_curves`, `results.graph_safe_levels`) and
the graphs' properties; returns frames (the report draws them):

- `level_summary`: per cell, experiment and level, the mean and quartiles over graphs of the
  accuracy after retraining (and right after pruning) — magnitude vs WAEA vs random;
- `safe_level_correlations`: per cell and experiment, Spearman's ρ between each property and
  the safe level, with its p-value, over the graphs, and the partial ρ given the unpruned
  accuracy (a weak base model gains from the retraining epochs themselves, so its safe level
  can be high for that reason alone: the partial ρ asks what structure adds beyond it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from randrnn.graphs.properties import FEATURES
from randrnn.pruning import results
from randrnn.store import Study


def curves(study: Study) -> pd.DataFrame:
    """The per-graph pruning curves (empty if no study graph was pruned)."""
    if not results.has_tables(study):
        return pd.DataFrame()
    return results.graph_curves(study)


def level_summary(curves: pd.DataFrame) -> pd.DataFrame:
    """Per (cell, experiment, level): graphs, mean unpruned accuracy, and the mean, 25th and
    75th percentile over graphs of the accuracy after retraining and right after pruning."""
    columns = [
        "cell",
        "tag",
        "label",
        "level",
        "graphs",
        "acc_before",
        "acc_final",
        "acc_final_q25",
        "acc_final_q75",
        "acc_pruned",
    ]
    if curves.empty:
        return pd.DataFrame(columns=columns)
    grouped = curves.groupby(["cell", "tag", "label", "level"], sort=True)
    out = grouped.agg(
        graphs=("graph_id", "nunique"),
        acc_before=("acc_before", "mean"),
        acc_final=("acc_final", "mean"),
        acc_final_q25=("acc_final", lambda x: x.quantile(0.25)),
        acc_final_q75=("acc_final", lambda x: x.quantile(0.75)),
        acc_pruned=("acc_pruned", "mean"),
    )
    return out.reset_index()[columns]


def safe_levels(study: Study, curves: pd.DataFrame) -> pd.DataFrame:
    """Per graph model and experiment: its safe level beside the graph's properties."""
    if curves.empty:
        return pd.DataFrame()
    safe = results.graph_safe_levels(curves)
    props = pd.DataFrame(
        [{"graph_id": g["id"], **g["properties"]} for g in study.graphs()]
    ).drop_duplicates("graph_id")
    return safe.merge(props, on="graph_id", how="left")


def partial_spearman(x: pd.Series, y: pd.Series, z: pd.Series) -> float:
    """Spearman ρ of x and y given z: the partial correlation of their ranks,
    (r_xy − r_xz·r_yz) / √((1 − r_xz²)(1 − r_yz²)); NaN if z explains x or y entirely."""
    ranks = np.column_stack([stats.rankdata(v) for v in (x, y, z)])
    r = np.corrcoef(ranks, rowvar=False)
    denominator = (1.0 - r[0, 2] ** 2) * (1.0 - r[1, 2] ** 2)
    if denominator <= 1e-12:
        return float("nan")
    return float((r[0, 1] - r[0, 2] * r[1, 2]) / np.sqrt(denominator))


def safe_level_correlations(safe: pd.DataFrame, minimum: int = 5) -> pd.DataFrame:
    """Spearman ρ (and p) between each property and the safe level, per cell and experiment,
    over graphs, and ``rho_given_acc``: the partial ρ given the unpruned accuracy
    (`partial_spearman`; NaN without an ``acc_before`` column). Groups of fewer than
    ``minimum`` graphs, or a constant column, give none."""
    columns = ["cell", "tag", "label", "property", "graphs", "rho", "p", "rho_given_acc"]
    records = []
    if safe.empty:
        return pd.DataFrame(columns=columns)
    features = [f for f in FEATURES if f in safe.columns]
    for (cell, tag, label), group in safe.groupby(["cell", "tag", "label"], sort=True):
        if len(group) < minimum or group["safe_level"].nunique() < 2:
            continue
        for feature in features:
            control = ["acc_before"] if "acc_before" in group.columns else []
            values = group[[feature, "safe_level", *control]].dropna()
            if len(values) < minimum or values[feature].nunique() < 2:
                continue
            rho, p = stats.spearmanr(values[feature], values["safe_level"])
            given = (
                partial_spearman(values[feature], values["safe_level"], values["acc_before"])
                if "acc_before" in values
                else float("nan")
            )
            row = (cell, tag, label, feature, len(values), float(rho), float(p), given)
            records.append(dict(zip(columns, row)))
    return pd.DataFrame.from_records(records, columns=columns)


def strongest(correlations: pd.DataFrame, count: int = 8) -> pd.DataFrame:
    """The ``count`` properties with the largest |ρ| in any experiment of a cell, as a table:
    one row per (cell, property); per experiment label its ρ and, as ``<label> | acc``, the
    partial ρ given the unpruned accuracy."""
    if correlations.empty:
        return pd.DataFrame()

    def pivot(values: str, **keep: bool) -> pd.DataFrame:
        return correlations.pivot_table(
            index=["cell", "property"], columns="label", values=values, aggfunc="first", **keep
        )

    wide = pivot("rho")  # only (cell, property) pairs that were computed
    given = pivot("rho_given_acc", dropna=False).reindex(index=wide.index, columns=wide.columns)
    order = wide.abs().max(axis=1).sort_values(ascending=False)
    tops = [
        key
        for cell in wide.index.get_level_values(0).unique()
        for key in [k for k in order.index if k[0] == cell][:count]
    ]
    columns = {}
    for label in wide.columns:
        columns[label] = wide[label]
        columns[f"{label} | acc"] = given[label]
    return pd.DataFrame(columns).loc[tops].reset_index()
