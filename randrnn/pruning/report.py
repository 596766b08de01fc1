"""The pruning section of a study report: an HTML fragment with embedded PNG figures.

Figures: base-model training curves (train and test accuracy per epoch, the thesis' base-model
figures); accuracy right after pruning vs level, one line per method, one panel per cell and
target; regain curves (accuracy per retraining epoch) for the levels that lost more than the
tolerance. Tables: safe levels per cell × target × method beside the thesis' (docs/method.md §7), the
mean WAEA activity per gate (the paper's claim: LSTM input-gate weights least active, cell
candidate most), and for each WAEA experiment its reading and the Spearman rank correlation
between activity and |w| (computed by `protocol.waea_correlations`; this module only draws).
Figures are `matplotlib.figure.Figure` objects (no pyplot), embedded by `randrnn.analysis.figures`.
A study whose graphs' models were pruned (`prune --graphs`) also gets "Pruning robustness":
accuracy after retraining against level over the graphs, per method, and which graph
properties go with a high safe level (`randrnn.pruning.robustness`); its per-graph models are
left out of the per-model figures.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from randrnn.analysis import figures
from randrnn.pruning import results
from randrnn.pruning.protocol import waea_correlations
from randrnn.store import Study

MAX_PANELS = 24  # beyond this a figure is unreadable; later panels are left out (and said so)


def _label(ax: Axes, title: str, x: str, y: str, legend: int, ncol: int = 1) -> None:
    """A panel's title (small), axis labels and legend (font size ``legend``)."""
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.legend(fontsize=legend, ncol=ncol)


def _grid(count: int, cols: int) -> tuple[Figure, list[Axes]]:
    cols = max(1, min(cols, count))
    rows = (count + cols - 1) // cols
    fig = Figure(figsize=(4.2 * cols, 3.2 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    flat = list(axes.flat)
    for ax in flat[count:]:
        ax.set_visible(False)
    return fig, flat[:count]


def base_figure(bases: list[dict]) -> Figure:
    """Train and test accuracy per epoch of each base model."""
    bases = bases[:MAX_PANELS]
    fig, axes = _grid(len(bases), 4)
    for ax, base in zip(axes, bases):
        history = pd.DataFrame(base["history"])
        ax.plot(history["epoch"], history["train_acc"], label="train")
        if "test_acc" in history:
            ax.plot(history["epoch"], history["test_acc"], label="test")
        _label(
            ax, f"{base['cell']} · {base['model']} · seed {base['seed']}", "epoch", "accuracy", 8
        )
    fig.tight_layout()
    return fig


def level_figure(table: pd.DataFrame, run_list: list[dict]) -> Figure:
    """Accuracy vs level, one line per method, one panel per cell × target.

    Solid: right after pruning; dotted: after the first retraining epoch.
    """
    runs_by_id = {run["id"]: run for run in run_list}
    by_id = runs_by_id.__getitem__
    panels = list(table.groupby(["model", "cell", "target"], sort=True))[:MAX_PANELS]
    fig, axes = _grid(len(panels), 3)
    for ax, ((model, cell, target), group) in zip(axes, panels):
        for (label, scope), lines in group.groupby(["label", "scope"], sort=True):
            lines = lines.sort_values("level")
            (line,) = ax.plot(
                lines["level"], lines["acc_pruned"], marker="o", label=f"{label} ({scope})"
            )
            first = [run["accs"][0] if run["accs"] else None for run in lines["run_id"].map(by_id)]
            if any(a is not None for a in first):
                ax.plot(lines["level"], first, linestyle=":", color=line.get_color(), linewidth=1)
        ax.axhline(
            group["acc_before"].iloc[0], color="grey", linestyle="--", linewidth=1, label="unpruned"
        )
        _label(
            ax,
            f"{cell} · {target} · {model}",
            "pruned % of existing weights",
            "test accuracy (dotted: 1 retraining epoch)",
            7,
        )
    fig.tight_layout()
    return fig


def regain_figure(run_list: list[dict]) -> Figure | None:
    """Accuracy per retraining epoch (0 = right after pruning) for the levels that dropped."""
    dropped = [r for r in run_list if r["epochs_to_regain"] != 0 and r["accs"]]
    if not dropped:
        return None
    frame = pd.DataFrame(dropped)
    panels = list(frame.groupby(["model", "cell", "target", "label", "scope"], sort=True))
    panels = panels[:MAX_PANELS]
    fig, axes = _grid(len(panels), 3)
    for ax, ((model, cell, target, label, scope), group) in zip(axes, panels):
        for _, run in group.sort_values("level").iterrows():
            accs = [run["acc_pruned"], *run["accs"]]
            ax.plot(range(len(accs)), accs, marker=".", label=f"{run['level']:g}%")
        first = group.iloc[0]
        ax.axhline(
            first["acc_before"] - first["tolerance"],
            color="grey",
            linestyle="--",
            linewidth=1,
            label="regained",
        )
        _label(
            ax,
            f"{cell} · {target} · {label} ({scope})",
            "retraining epoch",
            "test accuracy",
            7,
            ncol=2,
        )
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    return fig


def gate_table(run_list: list[dict]) -> pd.DataFrame:
    """Mean WAEA activity (normalised as run) and raw gradient variance per gate."""
    records, seen = [], set()
    for run in run_list:
        gates = run.get("gate_activity")
        key = (run["base_id"], run["options_hash"], run["target"])
        if not gates or key in seen:
            continue
        seen.add(key)
        for quantity in ("activity", "grad_var"):
            for kind, values in gates.get(quantity, {}).items():
                records.append(
                    {
                        "cell": run["cell"],
                        "model": run["model"],
                        "label": run["label"],
                        "target": run["target"],
                        "weights": kind,
                        "quantity": quantity,
                        **{f"{gate} gate": value for gate, value in values.items()},
                    }
                )
    return pd.DataFrame.from_records(records)


def report_section(study: Study, out_dir: str | Path) -> str | None:
    """The pruning section as HTML (figures also written to ``out_dir``); None if no pruning."""
    bases = results.bases(study)  # reading only: a report never creates tables
    if not bases:
        return None
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    run_list = results.runs(study)
    table = results.results_table(study)
    robust = robustness_html(study, out_dir)
    if robust:  # the graphs' models are shown together there, not one panel each
        bases = [b for b in bases if not b["model"].startswith("graph:")]
        run_list = [r for r in run_list if not r["model"].startswith("graph:")]
        table = table[~table["model"].astype(str).str.startswith("graph:")]
        if not bases:
            return "<section id='pruning'>\n<h2>Pruning</h2>\n" + robust + "</section>\n"
    parts = [
        "<section id='pruning'>\n<h2>Pruning</h2>\n",
        (
            "<p>Protocol (docs/method.md §7): for each level the trained base model is reloaded, pruned "
            "(biases never), evaluated, then retrained with the mask fixed and a fresh Adam. "
            "Levels are percentages of the existing weights of the target. A level is safe if "
            "it and every lower level lose at most the tolerance right after pruning.</p>\n"
        ),
    ]
    parts.append("<h3>Base models</h3>\n")
    parts.append(
        figures.embed(
            base_figure(bases),
            out_dir / "prune_base.png",
            "Base models: train and test accuracy per epoch",
        )
    )
    if table.empty:
        parts.append("<p>No pruning level finished yet.</p>\n</section>\n")
        return "".join(parts)
    parts.append("<h3>Accuracy vs pruning level</h3>\n")
    parts.append(
        figures.embed(
            level_figure(table, run_list),
            out_dir / "prune_levels.png",
            "Test accuracy right after pruning (solid) and after one retraining "
            "epoch (dotted), per method",
        )
    )
    regain = regain_figure(run_list)
    if regain is not None:
        parts.append("<h3>Regaining accuracy</h3>\n")
        parts.append(
            figures.embed(
                regain,
                out_dir / "prune_regain.png",
                "Retraining curves of the levels that lost more than the "
                "tolerance (epoch 0: right after pruning)",
            )
        )
    parts.append("<h3>Safe levels (ours beside the thesis')</h3>\n")
    safe = results.safe_levels(table)
    parts.append(safe.to_html(index=False, na_rep="", float_format=lambda v: f"{v:g}"))
    parts.append("\n<p>Thesis values are for the dense 3×50 base model only.</p>\n")
    gates = gate_table(run_list)
    if not gates.empty:
        parts.append("<h3>WAEA activity per gate</h3>\n")
        parts.append(gates.to_html(index=False, na_rep="", float_format=lambda v: f"{v:.4g}"))
    correlations = waea_correlations(study)
    if not correlations.empty:
        parts.append("<h3>WAEA activity against weight magnitude</h3>\n")
        parts.append(
            "<p>WAEA drops the least active weights. Reading <em>signed</em> (eq. (2) as "
            "written) centres the filter on the mean of the signed weights, so the weights of "
            "largest magnitude score lowest and go first; reading <em>magnitude</em> filters "
            "|w| around its mean, so both the smallest and the largest weights score low. "
            "Spearman: rank correlation between activity and |w| over the target's existing "
            "weights of the base model (mean weight over the WAEA window); negative means "
            "large weights are dropped first, positive small ones, as magnitude pruning "
            "does.</p>\n"
        )
        parts.append(
            correlations.to_html(index=False, na_rep="", float_format=lambda v: f"{v:+.3f}")
        )
    if robust:
        parts.append(robust)
    parts.append("\n</section>\n")
    return "".join(parts)


def robustness_figure(summary: pd.DataFrame, safe: pd.DataFrame, best: dict) -> Figure:
    """Per cell: mean accuracy after retraining (band: quartiles over graphs) against level, one
    line per method; each graph's safe level against the property most correlated with it, and
    against its unpruned accuracy (a model still improving gains from the retraining itself)."""
    cells = list(dict.fromkeys(summary["cell"]))
    fig, axes = _grid(3 * len(cells), 3)
    for c, cell in enumerate(cells):
        ax = axes[3 * c]
        rows = summary[summary["cell"] == cell]
        for label, lines in rows.groupby("label", sort=True):
            lines = lines.sort_values("level")
            (line,) = ax.plot(lines["level"], lines["acc_final"], marker="o", label=label)
            ax.fill_between(
                lines["level"],
                lines["acc_final_q25"],
                lines["acc_final_q75"],
                color=line.get_color(),
                alpha=0.15,
            )
        ax.axhline(
            rows["acc_before"].mean(),
            color="grey",
            linestyle="--",
            linewidth=1,
            label="unpruned (mean)",
        )
        graphs = int(rows["graphs"].max())
        _label(
            ax,
            f"{cell} · {graphs} graphs: accuracy after retraining",
            "pruned % of existing weights",
            "test accuracy (mean, quartiles)",
            7,
        )
        points = safe[safe["cell"] == cell]
        feature = best.get(cell)
        if feature is None or feature not in points.columns:
            axes[3 * c + 1].set_visible(False)
        else:
            _safe_panel(axes[3 * c + 1], points, feature, f"{cell}: safe level against {feature}")
        _safe_panel(
            axes[3 * c + 2], points, "acc_before", f"{cell}: safe level against unpruned accuracy"
        )
    fig.tight_layout()
    return fig


def _safe_panel(ax: Axes, points: pd.DataFrame, column: str, title: str) -> None:
    """Each graph's safe level against ``column``, jittered (levels and counts are discrete),
    with the mean per value or quantile bin, one colour per method."""
    rng = np.random.default_rng(0)  # jitter only
    for label, group in points.groupby("label", sort=True):
        x, y = group[column].astype(float), group["safe_level"].astype(float)
        means = _binned_means(x, y)
        (line,) = ax.plot(means.index, means.values, marker="o", label=f"{label} (mean)")
        spread = [0.15 * (x.max() - x.min()) / max(x.nunique(), 1), 1.5]
        ax.scatter(
            x + rng.uniform(-1, 1, len(x)) * spread[0],
            y + rng.uniform(-1, 1, len(y)) * spread[1],
            s=6,
            alpha=0.25,
            color=line.get_color(),
        )
    _label(ax, title, column, "safe level % (after retraining)", 7)


def _binned_means(x: pd.Series, y: pd.Series, bins: int = 8) -> pd.Series:
    """Mean of y per value of x (x with few values) or per quantile bin of x (at bin centres)."""
    if x.nunique() <= 15:
        return y.groupby(x).mean().sort_index()
    cut = pd.qcut(x, bins, duplicates="drop")
    means = y.groupby(cut, observed=True).mean()
    means.index = [interval.mid for interval in means.index]
    return means


def robustness_html(study: Study, out_dir: Path) -> str:
    """The "Pruning robustness" part ('' if fewer than 3 study graphs' models were pruned)."""
    from randrnn.pruning import robustness

    curves = robustness.curves(study)
    if curves.empty or curves["graph_id"].nunique() < 3:
        return ""
    summary = robustness.level_summary(curves)
    safe = robustness.safe_levels(study, curves)
    correlations = robustness.safe_level_correlations(safe)
    table = robustness.strongest(correlations)
    best = {}
    if not correlations.empty:
        ranked = correlations.assign(size=correlations["rho"].abs()).sort_values("size")
        best = {cell: group.iloc[-1]["property"] for cell, group in ranked.groupby("cell")}
    tolerance = float(curves["tolerance"].iloc[0])
    parts = [
        "<h3>Pruning robustness</h3>\n",
        (
            f"<p>Each graph's trained model (prune --graphs) pruned at every level and retrained. "
            f"The safe level of a model is the highest level such that it and every lower level "
            f"end within {tolerance:g} of the unpruned accuracy after retraining. Which structures "
            "keep their accuracy when pruned, and does the criterion matter?</p>\n"
        ),
        figures.embed(
            robustness_figure(summary, safe, best),
            out_dir / "prune_robustness.png",
            "Left: accuracy after retraining against pruning level, mean over graphs with the "
            "quartiles as a band. Middle: each graph's safe level against the property most "
            "rank-correlated with it. Right: against the unpruned accuracy.",
        ),
    ]
    means = (
        safe.groupby(["cell", "label"])
        .agg(
            graphs=("graph_id", "nunique"),
            acc_before=("acc_before", "mean"),
            safe_level=("safe_level", "mean"),
            safe_sd=("safe_level", "std"),
        )
        .reset_index()
    )
    parts.append(means.to_html(index=False, float_format=lambda v: f"{v:.3g}"))
    if not table.empty:
        parts.append(
            "<p>Spearman ρ between graph properties and the safe level over graphs (largest "
            "|ρ| first, per cell), and beside it (<code>| acc</code>) the partial ρ given the "
            "unpruned accuracy: a model that is still improving gains from the retraining "
            "epochs themselves, which the tolerance counts as recovery, so what a property "
            "says beyond the unpruned accuracy is the partial ρ.</p>\n"
        )
        parts.append(table.to_html(index=False, na_rep="", float_format=lambda v: f"{v:+.2f}"))
    return "".join(parts)
