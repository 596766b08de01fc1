"""`randrnn report`: one self-contained HTML page (figures embedded) plus the PNG figures.

Sections: provenance (with the training config of the runs analysed, per cell where they
differ, and the study file), the data set and its trivial baselines (learned and scored on the
strings the runs saw: the ``max_train``/``max_test`` subsets), accuracy by generator per cell,
the seed noise (replicate a against b per graph, noise ceiling), accuracy against the strongest
properties, the correlation heatmap (properties × cells), the prediction table beside a Dummy
baseline and the noise ceiling, the thesis' published tables (docs/method.md §7) beside this study's
numbers, and pruning (`randrnn.pruning.report.report_section`).

The rows are each graph's mean over its seed replicates (``per_run``: one row per run), of one
training config per cell (`randrnn.analysis.table.load_study`). Every number is computed in
`randrnn.analysis` as a frame; this module only draws and writes them. The options are one
`AnalysisConfig`, listed in the provenance; a part of a section that cannot be computed says so
in that section (a warning line), never a silent blank.

Figures are drawn on `matplotlib.figure.Figure` objects (no pyplot, no global backend state).
Runs trained otherwise than the thesis (epochs, batch, batching, subsets) get a visible note
beside its numbers; a missing value shows as — with a line saying why; a section that cannot be
computed (too few graphs) shows one line instead; prediction uses min(cv, graphs // 2) folds.

A study of several tasks (the same graphs trained on, e.g., reber and dyck-2) gets a section
"Tasks" after the provenance: per task and cell the accuracy, the task's baselines, the
strongest properties and the cross-validated R², side by side, and one correlation heatmap with
a column per task and cell; then the sections above once per task, titled with the task.
"""

from __future__ import annotations

import html
import math
import platform
import sqlite3
from collections.abc import Callable
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
from randrnn.analysis import figures, noise, table, thesis, thesis_compare
from randrnn.analysis import predict as pred
from randrnn.analysis.config import AnalysisConfig
from randrnn.errors import RandRNNError
from randrnn.pruning.report import report_section
from randrnn.pruning.results import has_results
from randrnn.store import DB_NAME, Study
from randrnn.tasks.baselines import rules as baseline_rules
from randrnn.tasks.registry import DEFAULT_TASK, parse_spec

ACC_LABEL = "test accuracy (fraction correct)"


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
        path = self.out_dir / f"{name}.png"
        self.figures.append(path)
        return figures.embed(fig, path, alt)


@dataclass
class TaskPage:
    """The part of a page about one task: section titles end with the task, figures are saved
    as ``<task>-<name>.png``. Drawn on like a `Page`."""

    page: Page
    task: str

    @property
    def out_dir(self) -> Path:
        return self.page.out_dir

    def section(self, title: str, *parts: str) -> None:
        self.page.section(f"{title} · {self.task}", *parts)

    def raw_section(self, anchor: str, title: str, fragment: str) -> None:
        self.page.raw_section(anchor, title, fragment)

    def figure(self, fig: Figure, name: str, alt: str) -> str:
        stem = self.task.replace(":", "-").replace(" ", "-")
        return self.page.figure(fig, f"{stem}-{name}", f"{alt} ({self.task})")


def _p(text: str) -> str:
    return f"<p>{html.escape(text)}</p>"


MISSING = "—"  # a value that does not exist; every table that shows one says so under it


def _html_table(frame: pd.DataFrame, caption: str = "", missing: str = "no value") -> str:
    """A table; None and NaN show as — and a line under the table says what — means."""
    shown = frame.astype(object).map(lambda v: MISSING if table.is_missing(v) else v)
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    body = shown.to_html(index=False, border=0, escape=True)
    body = body.replace('<table class="dataframe">', f'<table class="dataframe">{cap}', 1)
    if (shown == MISSING).to_numpy().any():
        body += f'<p class="legend">{MISSING}: {html.escape(missing)}</p>'
    return body


def read_meta(study: Study) -> dict:
    """Every meta key of the study, read through a separate read-only connection."""
    uri = f"file:{(study.path / DB_NAME).resolve()}?mode=ro"
    with sqlite3.connect(uri, uri=True) as conn:
        keys = [row[0] for row in conn.execute("SELECT key FROM meta ORDER BY key")]
    return {key: study.get_meta(key) for key in keys}


def _load_data(
    meta: dict, data: str | Path | None, task: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(train, test, where) of the study's data set: --data, else meta 'data', else the default.
    A task other than reber: its folder (meta 'tasks') or its default set."""
    if data is None and task not in (None, DEFAULT_TASK):
        from randrnn.tasks.data import task_data

        source = (meta.get("tasks") or {}).get(task)
        found = task_data(task, None, None if source in (None, "default") else source)
        where = "the task's default set" if found.source == "default" else found.source
        return found.train, found.test, f"{where} ({task})"
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


# The thesis' training protocol, which its published numbers come from (docs/method.md §5).
THESIS_PROTOCOL = {"epochs": 15, "batch_size": 128, "batching": "shuffle", "max_train": None,
                   "max_test": None}  # fmt: skip
# The settings of a training config the report lists (TrainConfig fields).
CONFIG_SHOWN = ("epochs", "batch_size", "batching", "data", "max_train", "max_test", "seed",
                "readout", "lr")  # fmt: skip


def run_configs(study: Study, runs: pd.DataFrame) -> dict[str, dict]:
    """Per analysed cell, the training config of its runs (one per cell, `table.load_study`)
    with ``config_hash`` and ``replicates`` (runs per graph: 'K' or 'K1–K2')."""
    if runs.empty or "config_hash" not in runs.columns:
        return {}
    described = {c["config_hash"]: c["config"] for c in study.configs()}
    out = {}
    for cell in _cells(runs):
        part = runs[runs["cell"] == cell]
        chosen = str(part["config_hash"].iloc[0])
        per_graph = part.groupby("graph_id").size()
        lo, hi = int(per_graph.min()), int(per_graph.max())
        out[cell] = {**described.get(chosen, {}), "config_hash": chosen,
                     "replicates": str(lo) if lo == hi else f"{lo}–{hi}"}  # fmt: skip
    return out


def _setting(key: str, value: object) -> str:
    """A config value as the report shows it (no None: an unset subsample is 'all')."""
    if key in ("max_train", "max_test") and table.is_missing(value):
        return "all"
    return MISSING if table.is_missing(value) else str(value)


def config_frame(configs: dict[str, dict]) -> pd.DataFrame:
    """The training configs as a table: one row per distinct config, the cells that used it."""
    rows: dict[tuple, list[str]] = {}
    for cell, cfg in configs.items():
        values = tuple(_setting(k, cfg.get(k)) for k in CONFIG_SHOWN)
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
                diffs.append(f"{key} {_setting(key, ours)} (thesis {shown})")
        if cfg.get("data", "shipped") != "shipped":
            diffs.append("its own data set (thesis: the shipped one)")
        out[cell] = diffs
    return out


def _protocol_note(configs: dict[str, dict]) -> str:
    """A visible note when a cell's training differs from the thesis' protocol ('' if none)."""
    differing = {c: d for c, d in protocol_differences(configs).items() if d}
    if not differing:
        return ""
    listed = "; ".join(f"{table.cell_label(c)}: {', '.join(d)}" for c, d in differing.items())
    return (
        '<p class="warn"><strong>Protocols differ.</strong> '
        + html.escape(
            f"The thesis trained 15 epochs with batch 128 on random batches of all 18,750 "
            f"training strings and scored on all 6,250 test strings; here {listed}. Numbers "
            "from the two protocols are shown side by side for orientation, not as a replication."
        )
        + "</p>"
    )


def _provenance(
    page: Page,
    study: Study,
    meta: dict,
    df: pd.DataFrame,
    runs: pd.DataFrame,
    options: AnalysisConfig,
    configs: dict[str, dict],
) -> None:
    import sklearn

    counts = study.run_counts()
    per_run = options.per_run
    if df.empty:
        analysed = "0"
    elif per_run:
        analysed = f"{len(df)} runs (one row per run, --per-run)"
    else:
        analysed = f"{len(df)} (graph, cell) rows, each the mean over its replicates"
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
        ("python · numpy · pandas · scikit-learn", versions),
        ("report options", ", ".join(f"{k}={v}" for k, v in options.shown().items())),
    ]
    meta = dict(meta)
    toml = meta.pop("study_toml", None)
    rows += [(f"meta: {key}", _meta_text(value)) for key, value in meta.items()]
    parts = [_html_table(pd.DataFrame(rows, columns=["item", "value"]))]
    if configs:
        parts.append(
            _html_table(
                config_frame(configs),
                "training config of the runs analysed",
                "not recorded with these runs",
            )
        )
    if toml:
        parts.append(
            "<details open><summary>study file</summary><pre>"
            + html.escape(str(toml))
            + "</pre></details>"
        )
    page.section("Provenance", *parts)


def _meta_text(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def subsample(df: pd.DataFrame, limit: int | None, seed: int) -> pd.DataFrame:
    """The rows a run with ``max_train``/``max_test`` = ``limit`` saw: the seeded subset
    `randrnn.training.loop.encode_split` draws (all rows without a limit)."""
    if limit is None or limit >= len(df):
        return df
    return df.sample(n=limit, random_state=seed).sort_index()


def _data_section(
    page: Page,
    meta: dict,
    data: str | Path | None,
    configs: dict[str, dict],
    task: str | None = None,
) -> dict[str, dict[str, float]]:
    """The data set, and per analysed cell the trivial baselines on the strings its runs saw:
    learned on its training strings, scored on its test strings (``max_train``/``max_test``
    subsets included). Returns cell → baseline → accuracy ('' for a study with no runs)."""
    try:
        train, test, where = _load_data(meta, data, task)
    except (RandRNNError, OSError) as exc:
        page.section("Data set", _p(f"Data set not available: {exc}"))
        return {}
    settings: dict[tuple, list[str]] = {}
    for cell, cfg in (configs or {"": {}}).items():
        key = (cfg.get("max_train"), cfg.get("max_test"), int(cfg.get("seed", 0) or 0))
        settings.setdefault(key, []).append(cell)
    columns, by_cell = {}, {}
    for (max_train, max_test, seed), cells in settings.items():
        seen_train, seen_test = subsample(train, max_train, seed), subsample(test, max_test, seed)
        base = reber.baselines(seen_train, seen_test)
        for cell in cells:
            by_cell[cell] = base
        labels = ", ".join(table.cell_label(c) for c in cells if c)
        heading = f"{len(seen_test):,} test strings" + (f" ({labels})" if labels else "")
        columns[heading] = base
    frame = pd.DataFrame(
        {"trivial baseline (learned on train)": list(next(iter(columns.values())))}
        | {h: [f"{v:.4f}" for v in base.values()] for h, base in columns.items()}
    )
    letters = reber.REBER_LETTERS if task is None else parse_spec(task)[0].alphabet
    stats = {"train": reber.describe(train, letters), "test": reber.describe(test, letters)}
    desc = pd.DataFrame(
        [{"statistic": key} | {name: table.fmt(st[key], missing=MISSING) for name, st in stats.items()}
         for key in stats["train"]]
    )  # fmt: skip
    subset = any(k[0] is not None or k[1] is not None for k in settings)
    how = (
        "Each baseline is learned on the training strings the models trained on and scored on "
        "the test strings they were scored on"
        + (
            " (the runs used a seeded subset of the data: max_train / max_test)."
            if subset
            else " (all of them)."
        )
    )
    page.section(
        "Data set",
        _p(
            f"{'Reber strings' if task in (None, DEFAULT_TASK) else 'Strings'} from {where}. "
            "An accuracy means something only above these trivial "
            f"rules: {baseline_rules()}. " + how
        ),
        _html_table(frame, "trivial baselines, test accuracy"),
        _html_table(desc, "train and test splits (the whole data set)", "not defined"),
    )
    return by_cell


def _cells(df: pd.DataFrame) -> list[str]:
    return [key[0] for key, _ in table.groups(df)]


# How each trivial baseline is drawn on the accuracy figure (any other: a dotted grey line).
BASELINE_STYLES = {
    "majority": ("#b03030", ":"),
    "length_only": ("#b03030", "--"),
    "letter_set_only": ("#d08020", "-."),
    "ngram": ("#6a3d9a", (0, (5, 2, 1, 2, 1, 2))),
}


def _accuracy_section(
    page: Page,
    df: pd.DataFrame,
    target: str,
    base: dict[str, dict[str, float]],
    note: str,
    thesis_too: bool = True,
) -> None:
    cells = _cells(df)
    fig = Figure(figsize=(3.6 * len(cells) + 0.8, 4.2))
    axes = fig.subplots(1, len(cells), sharey=True, squeeze=False)[0]
    for ax, cell in zip(axes, cells):
        rows = df[df["cell"] == cell]
        kw = {"data": rows, "x": "generator", "y": target, "ax": ax}
        sns.boxplot(**kw, color="#d0d8e8", fliersize=0, width=0.55)
        sns.stripplot(**kw, color="#2a4d8f", size=3, alpha=0.6, jitter=0.2)
        for name, acc in base.get(cell, {}).items():
            color, style = BASELINE_STYLES.get(name, ("#777777", ":"))
            ax.axhline(acc, color=color, ls=style, lw=1, label=f"{name} baseline")
        ax.set_title(f"{table.cell_label(cell)} (n={len(rows)})")
        ax.set_xlabel("graph generator")
        ax.set_ylabel(ACC_LABEL)
    if any(base.get(c) for c in cells):
        axes[-1].legend(loc="lower right", fontsize=8)
    fig.suptitle(f"{target} by generator, per cell type")
    img = page.figure(fig, "accuracy_by_generator", f"{target} by generator and cell")
    stats = ["count", "mean", "std", "min", "median", "max"]
    summary = df.groupby(["cell", "generator"])[target].agg(stats).reset_index()
    caption = f"{target} per cell and generator"
    if thesis_too:
        summary.insert(
            summary.columns.get_loc("mean") + 1,
            "thesis mean",
            [thesis.MEAN_ACCURACY.get(c, math.nan) for c in summary["cell"]],
        )
        caption += "; the thesis' mean (200 graphs per cell) beside"
    summary["cell"] = summary["cell"].map(table.cell_label)
    page.section(
        "Accuracy by generator",
        note,
        img,
        _p("Lines: the trivial baselines on the strings these runs were scored on (Data set)."),
        _html_table(
            summary.round(4), caption, "a single graph (no sd), or no thesis number for the cell"
        ),
    )


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
            kw = {"data": rows, "x": prop, "y": target, "ax": ax}
            sns.scatterplot(**kw, hue=hue, s=18, alpha=0.7, legend=(i == 0 and j == 0))
            sns.regplot(**kw, scatter=False, color="black", line_kws={"lw": 1.2})
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
        shown[col] = [MISSING if table.is_missing(v) else corr.format_p(v) for v in shown[col]]
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
            "Blank cells in the heatmap, — in the table: no coefficient (the note says why). "
            "q: Benjamini–Hochberg corrected p-value across the properties of one cell."
        ),
        img,
        "<details><summary>full table</summary>"
        + _html_table(
            shown[[c for c in cols if c in shown]].round(4),
            missing="no coefficient: the property (or the accuracy) is constant for that cell",
        )
        + "</details>",
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
        folds = int(rows["folds"].iloc[0]) if "folds" in rows else cv
        ax.set_xlabel(f"R², {folds}-fold CV × {repeats} (mean ± sd)")
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
        "folds",
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
            f"R² mean ± sd over K-fold cross-validation (K = {cv}, or graphs // 2 for a cell "
            f"with fewer than {2 * cv} graphs: column folds) repeated {repeats} times, MAE, and "
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
        _html_table(
            frame[[c for c in keep if c in frame]].round(3),
            missing="not computed (fewer than 20 graphs for the thesis' split, no replicates for "
            "a ceiling) or not published by the thesis",
        ),
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
    page: Page | TaskPage,
    df: pd.DataFrame,
    result: pd.DataFrame,
    scores: tuple[pd.DataFrame, pd.DataFrame],
    options: AnalysisConfig,
    note: str = "",
) -> None:
    """The thesis' published numbers beside this study's (`thesis_compare.compare`)."""
    _draw_thesis(page, thesis_compare.compare(df, result, *scores, options), options, note)


def _draw_thesis(
    page: Page | TaskPage, found: thesis_compare.ThesisComparison, options: AnalysisConfig,
    note: str,
) -> None:  # fmt: skip
    parts = [
        note,
        _p(
            "The thesis' published numbers (docs/method.md §7) beside this study's. The thesis "
            "had 200 graphs per cell and scored regressors on one 20-row test split."
        ),
    ]
    if found.cells:
        parts.append(_pearson_figure(page, found))
    parts += [
        _html_table(
            found.pearson.round(2), "Pearson r of test accuracy with properties",
            "not computable here",
        ),
        _html_table(found.accuracy.round(3), "mean test accuracy of the structured models"),
        _html_table(
            found.regression.round(3), "regression R²",
            "not computed here (the thesis' split needs 20 graphs)",
        ),
    ]  # fmt: skip
    if len(found.ablation):
        parts.append(
            _html_table(
                found.ablation.round(2),
                f"feature-set ablation, RandomForest R² (here: {options.cv}-fold CV mean)",
            )
        )
    if len(found.importance):
        parts.append(_html_table(found.importance, "RandomForest impurity importance"))
    parts.append(_html_table(found.safe, "thesis: safe pruning level per weight set"))
    parts += [_warn(n) for n in found.notes]
    page.section("Thesis comparison", *parts)


def _pearson_figure(page: Page | TaskPage, found: thesis_compare.ThesisComparison) -> str:
    """The 12 published correlations, the thesis' against this study's, one colour per cell."""
    fig = Figure(figsize=(5, 4.6))
    ax = fig.subplots()
    for cell in found.cells:
        label = thesis_label(cell)
        ax.scatter(found.pearson[f"{label} thesis"], found.pearson[f"{label} here"], label=label,
                   s=22)  # fmt: skip
    ax.plot([-1, 1], [-1, 1], color="grey", lw=0.8, ls="--")
    ax.set_xlim(-1, 1)
    ax.set_ylim(-1, 1)
    ax.set_xlabel("Pearson r in the thesis")
    ax.set_ylabel("Pearson r in this study")
    ax.set_title(f"12 published correlations: thesis vs here (n≤{found.graphs} per cell)")
    ax.legend(fontsize=8)
    return page.figure(fig, "thesis_pearson", "thesis vs this study, Pearson r")


def _warn(text: str) -> str:
    """A visible line about something a section could not compute."""
    return f'<p class="warn">{html.escape(text)}</p>'


def thesis_label(cell: str) -> str:
    """The thesis' name of a cell ('gru' → 'GRU')."""
    return table.cell_label(cell)


def _pruning_section(page: Page, study: Study) -> None:
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
.warn{background:#fff4e0;border-left:4px solid #d08020;padding:.5em .8em}
.legend{font-size:.8em;color:#666;margin-top:-.5em}
pre{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:.85em}
"""


def write_report(
    study_path: str | Path,
    out: str | Path | None = None,
    *,
    data: str | Path | None = None,
    options: AnalysisConfig | None = None,
) -> Path:
    """Write ``report.html`` and the figures to ``out`` (default ``<study>/report``); return it.

    ``data``: the Reber data folder for the baselines (default: the study's); ``options``: what
    to analyse and how (`AnalysisConfig`: target, folds, the training config, per run, ...;
    default: its defaults).
    """
    options = options if options is not None else AnalysisConfig()
    with Study.open(study_path) as study:
        done = study.run_counts()["done"]
        pruned = has_results(study)
    if not done and not pruned:
        raise RandRNNError(
            f"study '{study_path}' has no finished runs and no pruning results; run: "
            f"randrnn train-all --study {study_path} (or randrnn prune --study {study_path})"
        )
    runs = df = pd.DataFrame()
    if done:  # checked before anything is written
        runs = table.load_study(study_path, config=options.config, per_run=True)
        table.check_target(runs, options.target)
        df = runs if options.per_run else table.per_graph(runs)
    with Study.open(study_path) as study:
        out_dir = Path(out) if out is not None else study.path / "report"
        out_dir.mkdir(parents=True, exist_ok=True)
        page = Page(out_dir)
        meta = read_meta(study)
        parts = table.by_task(runs)
        configs = run_configs(study, runs) if len(parts) == 1 else {
            f"{task} · {table.cell_label(cell)}": cfg
            for task, part in parts for cell, cfg in run_configs(study, part).items()
        }  # fmt: skip
        _provenance(page, study, meta, df, runs, options, configs)
        if len(parts) > 1:
            if data is not None:
                raise RandRNNError(
                    f"--data names one data set, but the study holds {len(parts)} tasks; leave "
                    "--data out (each task's data is recorded in the study)"
                )
            _several_tasks(page, study, meta, parts, options)
        else:
            tasks = table.tasks_of(runs)
            only = tasks[0] if tasks and tasks[0] != DEFAULT_TASK else None  # reber: as before
            base = _data_section(page, meta, data, configs, only)
            if not df.empty:  # a pruning-only study: the structure sections have nothing to show
                _task_sections(page, df, runs, options, configs, base, only)
        _guarded(page, "Pruning", _pruning_section, page, study)
    return _write_page(page, study_path, out_dir)


def _task_sections(
    page: Page | TaskPage, df: pd.DataFrame, runs: pd.DataFrame, options: AnalysisConfig,
    configs: dict[str, dict], base: dict[str, dict[str, float]], task: str | None = None,
) -> dict:  # fmt: skip
    """The sections about the runs of one task; returns what the task overview shows. The
    thesis' numbers are compared only for the reber task (``task`` None or reber)."""
    target = options.target
    note = _protocol_note(configs)
    seeds = noise.of_runs(runs, target)
    pairs = noise.replicate_pairs(runs, target) if seeds is not None else None
    ceilings = noise.ceilings(seeds, options.per_run) if seeds is not None else {}
    thesis_too = task in (None, DEFAULT_TASK)  # the thesis' means are of the Reber task
    _guarded(
        page, "Accuracy by generator", _accuracy_section, page, df, target, base, note, thesis_too
    )
    _guarded(page, "Seed noise", _noise_section, page, seeds, pairs, target)
    # params_<cell> are exact functions of the layer sizes; leave them to `correlate`
    props = [f for f in table.default_features(df, target) if not f.startswith("params_")]
    result = corr.correlate(df, target, features=props, seed=options.seed)
    _guarded(page, "Accuracy vs the strongest properties", _strongest_section, page, df,
             target, result, options.top)  # fmt: skip
    _guarded(page, "Correlation", _heatmap_section, page, df, result)
    try:
        cv_res, th_res, notes = pred.score_cells(
            df, target, cv=options.cv, repeats=options.repeats, seed=options.seed
        )
    except RandRNNError as exc:  # shown in the prediction section, the rest is written
        cv_res, th_res, notes = pred.concat([]), pred.concat([]), [f"Not predicted: {exc}"]
    if not thesis_too and "thesis_r2" in cv_res:  # thesis: reber only
        cv_res = cv_res.assign(thesis_r2=math.nan)
    _guarded(page, "Prediction", _prediction_section, page, cv_res, th_res, notes, options.cv,
             options.repeats, ceilings)  # fmt: skip
    if thesis_too:
        _guarded(page, "Thesis comparison", _thesis_section, page, df, result, (cv_res, th_res),
                 options, note)  # fmt: skip
    return {"df": df, "result": result, "cv": cv_res, "base": base, "ceilings": ceilings}


def _several_tasks(
    page: Page, study: Study, meta: dict, parts: list[tuple[str | None, pd.DataFrame]],
    options: AnalysisConfig,
) -> None:  # fmt: skip
    """Every task's sections in turn, then the side-by-side overview, placed before them."""
    at = len(page.sections)
    summaries = {}
    for task, runs in parts:
        sub, configs = TaskPage(page, str(task)), run_configs(study, runs)
        base = _data_section(sub, meta, None, configs, task)
        df = runs if options.per_run else table.per_graph(runs)
        summaries[str(task)] = _task_sections(sub, df, runs, options, configs, base, task)
    end = len(page.sections)
    _guarded(page, "Tasks", _tasks_section, page, summaries, options.target)
    both = TaskPage(page, "all tasks")
    frames = {
        key: pd.concat(
            [s[key].assign(cell=[f"{t} · {table.cell_label(c)}" for c in s[key]["cell"]])
             for t, s in summaries.items()], ignore_index=True,
        )
        for key in ("df", "result")
    }  # fmt: skip
    _guarded(both, "Correlation", _heatmap_section, both, frames["df"], frames["result"])
    overview = page.sections[end:]
    del page.sections[end:]
    page.sections[at:at] = overview


def _tasks_section(page: Page, summaries: dict[str, dict], target: str) -> None:
    """Per task and cell, side by side: accuracy, the baselines, the strongest properties and
    the best cross-validated R² beside the Dummy's; and the accuracy of each task per cell."""
    rows = []
    for task, s in summaries.items():
        df, result, cv_res = s["df"], s["result"], s["cv"]
        for cell in _cells(df):
            acc = df.loc[df["cell"] == cell, target]
            strongest = result[(result["cell"] == cell) & result["pearson"].notna()].head(3)
            scored = cv_res[cv_res["cell"] == cell] if len(cv_res) else cv_res
            real = scored[scored["regressor"] != "dummy"] if len(scored) else scored
            best = real.loc[real["r2"].idxmax()] if len(real) else None
            dummy = scored.loc[scored["regressor"] == "dummy", "r2"] if len(scored) else []
            ceiling = s["ceilings"].get(cell, (math.nan, ""))[0]
            rows.append({
                "task": task,
                "cell": table.cell_label(cell),
                "graphs": len(acc),
                "mean": acc.mean(),
                "sd": acc.std(),
                **{f"{k}": v for k, v in s["base"].get(cell, {}).items()},
                "strongest properties (Pearson r)": ", ".join(
                    f"{p} {r:.2f}" for p, r in zip(strongest["property"], strongest["pearson"])
                ),
                "best CV R²": MISSING if best is None else
                f"{best['r2']:.3f} ± {best['r2_sd']:.3f} ({pred.REGRESSORS[best['regressor']][0]})",
                "Dummy R²": float(dummy.iloc[0]) if len(dummy) else math.nan,
                "noise ceiling": ceiling,
            })  # fmt: skip
    frame = pd.DataFrame(rows)
    cells = list(dict.fromkeys(cell for s in summaries.values() for cell in _cells(s["df"])))
    fig = Figure(figsize=(1.2 * len(summaries) * len(cells) + 2.5, 4.2))
    axes = fig.subplots(1, len(cells), sharey=True, squeeze=False)[0]
    long = pd.concat([s["df"].assign(task=t) for t, s in summaries.items()], ignore_index=True)
    for ax, cell in zip(axes, cells):
        rows_c = long[long["cell"] == cell]
        kw = {"data": rows_c, "x": "task", "y": target, "ax": ax, "order": list(summaries)}
        sns.boxplot(**kw, color="#d0d8e8", fliersize=0, width=0.55)
        sns.stripplot(**kw, color="#2a4d8f", size=2, alpha=0.5, jitter=0.2)
        ax.set_title(table.cell_label(cell))
        ax.set_xlabel("task")
        ax.set_ylabel(ACC_LABEL)
        ax.tick_params(axis="x", rotation=30)
    fig.suptitle(f"{target} of the same graphs on each task")
    img = page.figure(fig, "accuracy_by_task", f"{target} per task and cell")
    page.section(
        "Tasks",
        _p(
            "The same graphs trained on several tasks. Per task and cell: the accuracy over the "
            "graphs, the task's baselines (learned on its training strings, scored on its test "
            "strings), the three properties with the largest |Pearson r|, and the best "
            "cross-validated R² of a regressor on the graph properties beside the Dummy's. Each "
            "task's own sections follow, titled with the task."
        ),
        img,
        _html_table(
            frame.round(3),
            "tasks side by side",
            "not computed: noise ceiling without seed replicates, R² with too few graphs",
        ),
    )


def _guarded(page: Page, title: str, draw: Callable[..., None], *args: object) -> None:
    """Draw a section; one it cannot compute becomes a one-line reason under its title."""
    try:
        draw(*args)
    except RandRNNError as exc:
        page.section(title, _p(f"Not shown: {exc}"))


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
