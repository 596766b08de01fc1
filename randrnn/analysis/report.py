"""`randrnn report`: one self-contained HTML page (figures embedded) plus the PNG figures.

Sections: provenance, the data set and its trivial baselines, accuracy by generator per cell,
the seed noise (replicate a against b per graph, noise ceiling), accuracy against the strongest
properties, the correlation heatmap (properties × cells), the prediction table beside a Dummy
baseline and the noise ceiling, the thesis' published tables (docs/method.md §7) beside this study's
numbers, and pruning (from `randrnn.pruning.report.report_section` when it exists).

The rows are each graph's mean over its seed replicates (``per_run``: one row per run), of one
training config per cell (`randrnn.analysis.table.load_study`). Every number is computed in
`randrnn.analysis` as a frame; this module only draws and writes them.

Figures are drawn on `matplotlib.figure.Figure` objects (no pyplot, no global backend state).
"""

from __future__ import annotations

import base64
import html
import io
import math
import platform
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

import randrnn
from randrnn import reber
from randrnn.analysis import correlate as corr
from randrnn.analysis import noise, table, thesis
from randrnn.analysis import predict as pred
from randrnn.errors import RandRNNError
from randrnn.store import DB_NAME, Study

ACC_LABEL = "test accuracy (fraction correct)"
DPI = 110


@dataclass
class Page:
    """The report being assembled: HTML sections and the figures written so far."""

    out_dir: Path
    sections: list[tuple[str, str, str]] = field(default_factory=list)  # (anchor, title, html)
    figures: list[Path] = field(default_factory=list)

    def section(self, title: str, *parts: str) -> None:
        """Add a titled section made of HTML fragments."""
        anchor = title.lower().replace(" ", "-")
        body = f'<section id="{anchor}"><h2>{html.escape(title)}</h2>\n' + "\n".join(parts)
        self.sections.append((anchor, title, body + "</section>"))

    def raw_section(self, anchor: str, title: str, fragment: str) -> None:
        """Add a complete section written elsewhere (it carries its own heading)."""
        self.sections.append((anchor, title, fragment))

    def figure(self, fig: Figure, name: str, alt: str) -> str:
        """Save ``fig`` as ``<name>.png`` and return an <img> with the PNG embedded."""
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
        data = buf.getvalue()
        path = self.out_dir / f"{name}.png"
        path.write_bytes(data)
        self.figures.append(path)
        b64 = base64.b64encode(data).decode("ascii")
        return (
            f'<figure><img src="data:image/png;base64,{b64}" alt="{html.escape(alt)}">'
            f"<figcaption>{html.escape(alt)} ({path.name})</figcaption></figure>"
        )


def _p(text: str) -> str:
    return f"<p>{html.escape(text)}</p>"


def _html_table(frame: pd.DataFrame, caption: str = "") -> str:
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    body = frame.to_html(index=False, na_rep="", border=0, escape=True)
    return body.replace('<table class="dataframe">', f'<table class="dataframe">{cap}', 1)


def read_meta(study: Study) -> dict:
    """Every meta key of the study, read through a separate read-only connection."""
    uri = f"file:{(study.path / DB_NAME).resolve()}?mode=ro"
    with sqlite3.connect(uri, uri=True) as conn:
        keys = [row[0] for row in conn.execute("SELECT key FROM meta ORDER BY key")]
    return {key: study.get_meta(key) for key in keys}


def _load_data(meta: dict, data: str | Path | None) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(train, test, where) of the study's data set: --data, else meta 'data', else the default."""
    value = data if data is not None else meta.get("data")
    if isinstance(value, dict):
        value = value.get("dir") or value.get("path")
    if value is None or str(value) in ("", "default", "shipped"):
        train, test = reber.load_data(None)
        return train, test, "the default data set (randrnn.reber.load_data())"
    if not Path(str(value)).is_dir():
        raise RandRNNError(f"data folder '{value}' not found (pass --data DIR)")
    train, test = reber.load_data(value)
    return train, test, str(value)


# ----------------------------------------------------------------------------------- sections


def _provenance(
    page: Page, study: Study, meta: dict, df: pd.DataFrame, runs: pd.DataFrame, options: dict
) -> None:
    import sklearn

    counts = study.run_counts()
    per_run = options.get("per_run", False)
    if df.empty:
        analysed = "0"
    elif per_run:
        analysed = f"{len(df)} runs (one row per run, --per-run)"
    else:
        analysed = f"{len(df)} (graph, cell) rows, each the mean over its replicates"
    configs = sorted(set(runs["config_hash"])) if "config_hash" in runs else []
    libs = (platform.python_version(), np.__version__, pd.__version__, sklearn.__version__)
    versions = " · ".join(map(str, libs))
    rows = [
        ("randrnn version", randrnn.__version__),
        ("report date (UTC)", datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")),
        ("study", str(study.path.resolve())),
        ("graphs", str(study.graph_count())),
        ("runs by status", ", ".join(f"{k} {v}" for k, v in counts.items())),
        ("rows analysed", analysed),
        ("finished runs analysed", str(len(runs))),
        ("training config(s) analysed", ", ".join(configs) or "-"),
        ("python · numpy · pandas · scikit-learn", versions),
        ("report options", ", ".join(f"{k}={v}" for k, v in options.items())),
    ]
    rows += [(f"meta: {key}", _meta_text(value)) for key, value in meta.items()]
    frame = pd.DataFrame(rows, columns=["item", "value"])
    page.section("Provenance", _html_table(frame))


def _cell(value: object) -> str:
    """A table cell: floats with 3 decimals, None blank, anything else as text."""
    if value is None:
        return ""
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _meta_text(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def _data_section(page: Page, meta: dict, data: str | Path | None) -> dict[str, float]:
    try:
        train, test, where = _load_data(meta, data)
    except (RandRNNError, OSError) as exc:
        page.section("Data set", _p(f"Data set not available: {exc}"))
        return {}
    base = reber.baselines(train, test)
    stats = {"train": reber.describe(train), "test": reber.describe(test)}
    desc = pd.DataFrame(
        [{"statistic": key} | {name: _cell(st[key]) for name, st in stats.items()}
         for key in stats["train"]]
    )  # fmt: skip
    frame = pd.DataFrame(
        {
            "trivial baseline (learned on train)": list(base),
            "test accuracy": [f"{v:.4f}" for v in base.values()],
        }
    )
    page.section(
        "Data set",
        _p(
            f"Reber strings from {where}. An accuracy means something only above these trivial "
            "rules: the majority class, the string's length alone, its set of letters alone."
        ),
        _html_table(frame, "trivial baselines"),
        _html_table(desc, "train and test splits"),
    )
    return base


def _cells(df: pd.DataFrame) -> list[str]:
    return [key[0] for key, _ in table.groups(df)]


def _accuracy_section(page: Page, df: pd.DataFrame, target: str, base: dict) -> None:
    cells = _cells(df)
    fig = Figure(figsize=(3.6 * len(cells) + 0.8, 4.2))
    axes = fig.subplots(1, len(cells), sharey=True, squeeze=False)[0]
    for ax, cell in zip(axes, cells):
        rows = df[df["cell"] == cell]
        kw = {"data": rows, "x": "generator", "y": target, "ax": ax}
        sns.boxplot(**kw, color="#d0d8e8", fliersize=0, width=0.55)
        sns.stripplot(**kw, color="#2a4d8f", size=3, alpha=0.6, jitter=0.2)
        for name, style in (("majority", ":"), ("length_only", "--")):
            if name in base:
                ax.axhline(base[name], color="#b03030", ls=style, lw=1, label=f"{name} baseline")
        ax.set_title(f"{table.cell_label(cell)} (n={len(rows)})")
        ax.set_xlabel("graph generator")
        ax.set_ylabel(ACC_LABEL)
    if base:
        axes[-1].legend(loc="lower right", fontsize=8)
    fig.suptitle(f"{target} by generator, per cell type")
    img = page.figure(fig, "accuracy_by_generator", f"{target} by generator and cell")
    stats = ["count", "mean", "std", "min", "median", "max"]
    summary = df.groupby(["cell", "generator"])[target].agg(stats).reset_index()
    summary.insert(
        summary.columns.get_loc("mean") + 1,
        "thesis mean",
        [thesis.MEAN_ACCURACY.get(c, math.nan) for c in summary["cell"]],
    )
    summary["cell"] = summary["cell"].map(table.cell_label)
    caption = f"{target} per cell and generator; the thesis' mean (200 graphs per cell) beside"
    page.section("Accuracy by generator", img, _html_table(summary.round(4), caption))


def _strongest_section(
    page: Page, df: pd.DataFrame, target: str, result: pd.DataFrame, top: int
) -> None:
    cells = _cells(df)
    picks = {
        cell: result[(result["cell"] == cell) & result["pearson"].notna()].head(top)
        for cell in cells
    }
    ncols = max([len(p) for p in picks.values()] + [0])
    if ncols == 0:
        page.section("Accuracy vs the strongest properties", _p("No property varies."))
        return
    fig = Figure(figsize=(4.0 * ncols, 3.6 * len(cells)))
    axes = fig.subplots(len(cells), ncols, squeeze=False)
    hue = "generator" if "generator" in df.columns else None
    for i, cell in enumerate(cells):
        rows = df if cell == table.ALL else df[df["cell"] == cell]
        for j in range(ncols):
            ax = axes[i][j]
            if j >= len(picks[cell]):
                ax.set_axis_off()
                continue
            pick = picks[cell].iloc[j]
            prop = pick["property"]
            sns.scatterplot(
                data=rows,
                x=prop,
                y=target,
                hue=hue,
                ax=ax,
                s=18,
                alpha=0.7,
                legend=(i == 0 and j == 0),
            )
            sns.regplot(
                data=rows,
                x=prop,
                y=target,
                scatter=False,
                ax=ax,
                color="black",
                line_kws={"lw": 1.2},
            )
            ax.set_title(
                f"{table.cell_label(cell)}: {prop}\n(n={int(pick['n'])}, "
                f"r={pick['pearson']:.2f}, q={pick['pearson_q']:.2g})",
                fontsize=10,
            )
            ax.set_xlabel(prop.replace("_", " "))
            ax.set_ylabel(ACC_LABEL if j == 0 else "")
    fig.tight_layout()
    img = page.figure(fig, "accuracy_vs_properties", f"{target} vs the strongest properties")
    page.section(
        "Accuracy vs the strongest properties",
        _p(
            f"For each cell, the {top} properties with the largest |Pearson r|, with a "
            "least-squares line and its 95% band."
        ),
        img,
    )


def _heatmap_section(page: Page, df: pd.DataFrame, result: pd.DataFrame) -> None:
    cells = _cells(df)
    props = list(dict.fromkeys(result["property"]))
    r = result.pivot(index="property", columns="cell", values="pearson").reindex(props)[cells]
    q = result.pivot(index="property", columns="cell", values="pearson_q").reindex(props)[cells]
    n = result.groupby("cell")["n"].max()
    annot = r.map(lambda v: "" if pd.isna(v) else f"{v:.2f}")
    annot = annot.where(~(q < 0.05), annot + "*")
    fig = Figure(figsize=(1.6 * len(cells) + 3.5, 0.32 * len(props) + 1.6))
    ax = fig.subplots()
    sns.heatmap(
        r.astype(float),
        annot=annot.to_numpy(),
        fmt="",
        cmap="vlag",
        vmin=-1,
        vmax=1,
        ax=ax,
        cbar_kws={"label": "Pearson r"},
        annot_kws={"fontsize": 8},
    )
    ax.set_xticklabels([f"{table.cell_label(c)}\n(n={int(n[c])})" for c in cells], rotation=0)
    ax.set_xlabel("cell type")
    ax.set_ylabel("graph property")
    ax.set_title("Pearson r of test accuracy with each property (* BH q < 0.05)")
    img = page.figure(fig, "correlation_heatmap", "Pearson r, properties × cells")
    shown = result.copy()
    shown["cell"] = shown["cell"].map(table.cell_label)
    for col in [c for c in shown if c.endswith(("_p", "_q"))]:
        shown[col] = [corr.format_p(v) for v in shown[col]]
    cols = [
        "cell",
        "property",
        "n",
        "pearson",
        "pearson_q",
        "spearman",
        "spearman_q",
        "kendall",
        "kendall_q",
        "note",
    ]
    page.section(
        "Correlation",
        _p(
            "Blank cells: the property is constant for that cell. q: Benjamini–Hochberg "
            "corrected p-value across the properties of one cell."
        ),
        img,
        "<details><summary>full table</summary>"
        + _html_table(shown[[c for c in cols if c in shown]].round(4))
        + "</details>",
    )


def _prediction(
    df: pd.DataFrame, target: str, cv: int, repeats: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """CV and thesis-protocol results per cell; cells with too few rows become notes."""
    cv_parts, thesis_parts, notes = [], [], []
    for cell in _cells(df):
        one = None if cell == table.ALL else cell
        try:
            cv_parts.append(
                pred.evaluate(df, target, "all", "cv", cell=one, cv=cv, repeats=repeats, seed=seed)
            )
        except RandRNNError as exc:
            notes.append(str(exc))
            continue
        try:
            thesis_parts.append(pred.evaluate(df, target, "all", "thesis", cell=one, seed=seed))
        except RandRNNError as exc:
            notes.append(str(exc))
    return _concat(cv_parts), _concat(thesis_parts), notes


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    return (
        pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=pred.RESULT_COLUMNS)
    )


def _prediction_section(
    page: Page,
    cv_res: pd.DataFrame,
    th_res: pd.DataFrame,
    notes: list[str],
    cv: int,
    repeats: int,
    ceilings: dict[str, tuple[float, str]],
) -> None:
    if cv_res.empty:
        page.section("Prediction", *[_p(n) for n in notes] or [_p("No cell has enough runs.")])
        return
    cells = list(dict.fromkeys(cv_res["cell"]))
    fig = Figure(figsize=(3.6 * len(cells) + 0.8, 3.8))
    axes = fig.subplots(1, len(cells), sharey=True, squeeze=False)[0]
    for ax, cell in zip(axes, cells):
        rows = cv_res[cv_res["cell"] == cell]
        labels = [pred.REGRESSORS[r][0] for r in rows["regressor"]]
        colors = ["#999999" if r == "dummy" else "#2a4d8f" for r in rows["regressor"]]
        ax.barh(labels, rows["r2"], xerr=rows["r2_sd"], color=colors, capsize=3)
        ax.axvline(0, color="black", lw=0.8)
        if cell in ceilings:
            ax.axvline(ceilings[cell][0], color="#b03030", ls="--", lw=1, label="noise ceiling")
            ax.legend(loc="lower right", fontsize=8)
        ax.set_title(f"{table.cell_label(cell)} (n={int(rows['n'].iloc[0])})")
        ax.set_xlabel(f"R², {cv}-fold CV × {repeats} (mean ± sd)")
        ax.invert_yaxis()
    img = page.figure(fig, "prediction_r2", "cross-validated R² per regressor and cell")
    frame = pred.add_ceiling(cv_res, ceilings) if ceilings else cv_res.copy()
    if not th_res.empty:
        frame = frame.merge(
            th_res[["cell", "regressor", "r2", "n_test"]].rename(
                columns={"r2": "r2_thesis_protocol", "n_test": "thesis_test_rows"}
            ),
            on=["cell", "regressor"],
            how="left",
        )
    frame["cell"] = frame["cell"].map(table.cell_label)
    frame["regressor"] = frame["regressor"].map(lambda r: pred.REGRESSORS[r][0])
    keep = [
        "cell",
        "regressor",
        "n",
        "r2",
        "r2_sd",
        "ceiling",
        "r2_of_ceiling",
        "mae",
        "spearman",
        "kendall",
        "r2_thesis_protocol",
        "thesis_test_rows",
        "thesis_r2",
    ]
    page.section(
        "Prediction",
        _p(
            f"Regressors on the thesis' 23 features (MinMax scaling inside each pipeline): "
            f"R² mean ± sd over {cv}-fold cross-validation repeated {repeats} times, MAE, and "
            "Spearman / Kendall between out-of-fold predictions and truth. The Dummy regressor "
            "predicts the training mean: anything not clearly above it predicts nothing. "
            "r2_thesis_protocol repeats the thesis' single 90/10 split (random_state 7); "
            "thesis_r2 is its published value."
        ),
        *(
            [_p(f"{pred.CEILING_NOTE} ceiling: of the {_ceiling_of(ceilings)} (see Seed noise).")]
            if ceilings
            else []
        ),
        img,
        _html_table(frame[[c for c in keep if c in frame]].round(3)),
        *[_p(n) for n in notes],
    )


def _ceiling_of(ceilings: dict[str, tuple[float, str]]) -> str:
    """What the ceilings bound, e.g. 'mean of 2 runs' (several texts joined if cells differ)."""
    return " / ".join(dict.fromkeys(of for _, of in ceilings.values()))


def _noise_section(
    page: Page, seeds: pd.DataFrame | None, pairs: pd.DataFrame, target: str
) -> None:
    """Replicate a against replicate b per graph, one panel per cell, and the noise table."""
    title = "Seed noise"
    if seeds is None or pairs.empty:
        page.section(title, _p(noise.HOW_TO_REPLICATE))
        return
    cells = list(dict.fromkeys(pairs["cell"]))
    fig = Figure(figsize=(3.8 * len(cells) + 0.6, 4.0))
    axes = fig.subplots(1, len(cells), squeeze=False)[0]
    for ax, cell in zip(axes, cells):
        rows = pairs[pairs["cell"] == cell]
        a, b, r = rows["a"].iloc[0], rows["b"].iloc[0], rows["r"].iloc[0]
        sns.scatterplot(data=rows, x="y_a", y="y_b", ax=ax, s=18, alpha=0.7, color="#2a4d8f")
        lo = float(min(rows["y_a"].min(), rows["y_b"].min()))
        hi = float(max(rows["y_a"].max(), rows["y_b"].max()))
        pad = 0.05 * (hi - lo) if hi > lo else 0.01
        ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="grey", lw=0.8, ls="--")
        ax.set_xlim(lo - pad, hi + pad)
        ax.set_ylim(lo - pad, hi + pad)
        ax.set_aspect("equal")
        shown = "r undefined" if math.isnan(r) else f"r = {r:.2f}"
        ax.set_title(f"{table.cell_label(cell)}: {shown} (n={len(rows)} graphs)")
        ax.set_xlabel(f"{target}, replicate {a}")
        ax.set_ylabel(f"{target}, replicate {b}")
    fig.tight_layout()
    img = page.figure(fig, "replicates", f"{target} of replicate a against b, one point per graph")
    ((caption, frame),) = noise.display(seeds)
    page.section(
        title,
        _p(
            "Each graph was trained more than once, with different initialisation and "
            "batch-order seeds. Points off the dashed identity line are seed noise: the spread "
            "a graph's accuracy has without any change to its structure. Two runs of one graph "
            "correlate by r (split-half reliability), and r is the largest share of one run's "
            "accuracy variance that any predictor from graph structure can explain; for the "
            "mean of K runs the bound is Spearman–Brown Kr/(1+(K−1)r). These are the noise "
            "ceilings the prediction section compares its R² with."
        ),
        img,
        _html_table(frame, caption),
        _p(noise.LEGEND),
    )


def _thesis_section(
    page: Page,
    df: pd.DataFrame,
    target: str,
    result: pd.DataFrame,
    cv_res: pd.DataFrame,
    th_res: pd.DataFrame,
    cv: int,
    repeats: int,
    seed: int,
) -> None:
    cells = [c for c in thesis.CELL_ORDER if c in set(result["cell"])]
    parts = [
        _p(
            "The thesis' published numbers (docs/method.md §7) beside this study's. The thesis had 200 "
            "graphs per cell and scored regressors on one 20-row test split."
        )
    ]
    # Pearson
    rows = []
    for prop in thesis.PEARSON:
        row = {"property": prop}
        for cell in cells:
            hit = result[(result["cell"] == cell) & (result["property"] == prop)]
            ours = hit["pearson"].iloc[0] if len(hit) else math.nan
            row[f"{thesis_label(cell)} thesis"] = thesis.pearson(prop, cell)
            row[f"{thesis_label(cell)} here"] = ours
        rows.append(row)
    pearson = pd.DataFrame(rows)
    if cells:
        fig = Figure(figsize=(5, 4.6))
        ax = fig.subplots()
        for cell in cells:
            ax.scatter(
                pearson[f"{thesis_label(cell)} thesis"],
                pearson[f"{thesis_label(cell)} here"],
                label=thesis_label(cell),
                s=22,
            )
        ax.plot([-1, 1], [-1, 1], color="grey", lw=0.8, ls="--")
        ax.set_xlim(-1, 1)
        ax.set_ylim(-1, 1)
        ax.set_xlabel("Pearson r in the thesis")
        ax.set_ylabel("Pearson r in this study")
        n = int(result["n"].max())
        ax.set_title(f"12 published correlations: thesis vs here (n≤{n} per cell)")
        ax.legend(fontsize=8)
        parts.append(page.figure(fig, "thesis_pearson", "thesis vs this study, Pearson r"))
    parts.append(_html_table(pearson.round(2), "Pearson r of test accuracy with properties"))
    # mean accuracy
    acc = pd.DataFrame(
        {
            "cell": [thesis_label(c) for c in cells],
            "thesis mean accuracy": [thesis.MEAN_ACCURACY[c] for c in cells],
            "here": [df.loc[df["cell"] == c, target].mean() for c in cells],
            "n here": [int((df["cell"] == c).sum()) for c in cells],
        }
    )
    parts.append(_html_table(acc.round(3), "mean test accuracy of the structured models"))
    # regression
    rows = []
    for cell in cells:
        for reg in pred.THESIS_REGRESSORS:
            row = {
                "cell": thesis_label(cell),
                "regressor": pred.REGRESSORS[reg][0],
                "thesis R² (one split)": thesis.regression_r2(cell, reg),
            }
            for name, res in (("here, thesis protocol", th_res), ("here, CV mean", cv_res)):
                hit = res[(res["cell"] == cell) & (res["regressor"] == reg)] if len(res) else res
                row[name] = hit["r2"].iloc[0] if len(hit) else math.nan
            rows.append(row)
    parts.append(_html_table(pd.DataFrame(rows).round(3), "regression R²"))
    # ablation and importance (random forest)
    abl = []
    for cell in cells:
        row = {"cell": thesis_label(cell)}
        for fs in thesis.ABLATION_R2:
            row[f"{fs} thesis"] = thesis.ABLATION_R2[fs].get(cell, math.nan)
            done = cv_res[(cv_res["cell"] == cell) & (cv_res["regressor"] == "random_forest")]
            if fs == "all" and len(done):  # already scored in the prediction section
                row[f"{fs} here"] = done["r2"].iloc[0]
                continue
            try:
                res = pred.evaluate(
                    df,
                    target,
                    "random_forest",
                    "cv",
                    fs,
                    cell=cell,
                    cv=cv,
                    repeats=repeats,
                    seed=seed,
                )
                row[f"{fs} here"] = res["r2"].iloc[0]
            except RandRNNError:
                row[f"{fs} here"] = math.nan
        abl.append(row)
    if abl:
        parts.append(
            _html_table(
                pd.DataFrame(abl).round(2),
                f"feature-set ablation, RandomForest R² (here: {cv}-fold CV mean)",
            )
        )
    imp = []
    for cell in cells:
        try:
            X, y = pred.xy(df[df["cell"] == cell], target, pred.select_features(df, target))
            model = pred.make_pipeline("random_forest", seed).fit(X, y).named_steps["model"]
        except (RandRNNError, ValueError):
            continue
        feats = pred.select_features(df, target)
        best = np.argsort(-model.feature_importances_)[:3]
        imp.append(
            {
                "cell": thesis_label(cell),
                "top impurity importances here": ", ".join(
                    f"{feats[i]} {model.feature_importances_[i]:.2f}" for i in best
                ),
                "thesis": ", ".join(
                    f"{k} {v:.2f}" for k, v in thesis.IMPORTANCE.get(cell, {}).items()
                ),
            }
        )
    if imp:
        parts.append(_html_table(pd.DataFrame(imp), "RandomForest impurity importance"))
    safe = pd.DataFrame(
        [
            {"pruned": k, **{thesis_label(c): f"{v}%" for c, v in row.items()}}
            for k, row in thesis.PRUNING_SAFE.items()
        ]
    )
    parts.append(_html_table(safe, "thesis: safe pruning level per weight set"))
    page.section("Thesis comparison", *parts)


def thesis_label(cell: str) -> str:
    """The thesis' name of a cell ('gru' → 'GRU')."""
    return table.cell_label(cell)


def _pruning_section(page: Page, study: Study) -> None:
    try:
        from randrnn.pruning.report import report_section
    except ImportError:
        page.section("Pruning", _p("No pruning results module in this installation."))
        return
    fragment = report_section(study, page.out_dir)
    if fragment and "<h2" in fragment:
        page.raw_section("pruning", "Pruning", fragment)
    elif fragment:
        page.section("Pruning", fragment)
    else:
        page.section("Pruning", _p("This study has no pruning results (run randrnn prune)."))


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1200px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.8em 0;font-size:.85em}
th,td{padding:.25em .6em;border-bottom:1px solid #e4e4e4;text-align:right}
th{background:#f3f5f9}td:first-child,th:first-child{text-align:left}
caption{caption-side:top;text-align:left;font-weight:600;padding:.3em 0}
img{max-width:100%}figure{margin:1em 0}figcaption{font-size:.8em;color:#666}
nav a{margin-right:1em}
"""


def write_report(
    study_path: str | Path,
    out: str | Path | None = None,
    target: str = table.DEFAULT_TARGET,
    cv: int = 5,
    repeats: int = 2,
    top: int = 3,
    data: str | Path | None = None,
    seed: int = 0,
    config: str | None = None,
    per_run: bool = False,
) -> Path:
    """Write ``report.html`` and the figures to ``out`` (default ``<study>/report``); return it.

    ``config``: the training config to analyse (hash or unique prefix; needed when a cell has
    runs under several); ``per_run``: one row per run instead of each graph's replicate mean.
    """
    with Study.open(study_path) as study:
        done = study.run_counts()["done"]
        pruned = _has_pruning(study)
    if not done and not pruned:
        raise RandRNNError(
            f"study '{study_path}' has no finished runs and no pruning results; run: "
            f"randrnn train-all --study {study_path} (or randrnn prune --study {study_path})"
        )
    runs = df = pd.DataFrame()
    if done:  # checked before anything is written
        runs = table.load_study(study_path, config=config, per_run=True)
        table.check_target(runs, target)
        df = runs if per_run else table.per_graph(runs)
    with Study.open(study_path) as study:
        out_dir = Path(out) if out is not None else study.path / "report"
        out_dir.mkdir(parents=True, exist_ok=True)
        page = Page(out_dir)
        meta = read_meta(study)
        options = {"target": target, "cv": cv, "repeats": repeats, "top": top, "seed": seed,
                   "config": config or "the only one", "per_run": per_run}  # fmt: skip
        _provenance(page, study, meta, df, runs, options)
        base = _data_section(page, meta, data)
        if df.empty:  # a pruning-only study: the structure sections have nothing to show
            _pruning_section(page, study)
            return _write_page(page, study_path, out_dir)
        seeds = noise.of_runs(runs, target)
        pairs = noise.replicate_pairs(runs, target) if seeds is not None else None
        ceilings = noise.ceilings(seeds, per_run) if seeds is not None else {}
        _accuracy_section(page, df, target, base)
        _noise_section(page, seeds, pairs, target)
        # params_<cell> are exact functions of the layer sizes; leave them to `correlate`
        props = [f for f in table.default_features(df, target) if not f.startswith("params_")]
        result = corr.correlate(df, target, features=props, seed=seed)
        _strongest_section(page, df, target, result, top)
        _heatmap_section(page, df, result)
        cv_res, th_res, notes = _prediction(df, target, cv, repeats, seed)
        _prediction_section(page, cv_res, th_res, notes, cv, repeats, ceilings)
        _thesis_section(page, df, target, result, cv_res, th_res, cv, repeats, seed)
        _pruning_section(page, study)
    return _write_page(page, study_path, out_dir)


def _has_pruning(study: Study) -> bool:
    """Whether the study holds pruning results (the pruning module may be absent)."""
    try:
        from randrnn.pruning.results import has_results
    except ImportError:
        return False
    return has_results(study)


def _write_page(page: Page, study_path: str | Path, out_dir: Path) -> Path:
    title = f"randrnn report: {Path(study_path).resolve().name}"
    nav = " ".join(f'<a href="#{a}">{html.escape(t)}</a>' for a, t, _ in page.sections)
    doc = (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}'
        f"</title><style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>"
        f"<nav>{nav}</nav>\n" + "\n".join(b for _, _, b in page.sections) + "\n</body></html>\n"
    )
    path = out_dir / "report.html"
    path.write_text(doc, encoding="utf-8")
    return path
