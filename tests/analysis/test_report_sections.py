"""The report's sections: each section's compute checked against an independent computation on
a small study, the page's order (summary first, provenance last, exactly the registered
sections), and the graph drawings (one best and one worst per cell, as many layers as dag.py)."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from randrnn import reber
from randrnn.analysis.config import AnalysisConfig
from randrnn.analysis.report import (
    accuracy,
    build,
    correlation,
    dataset,
    drawings,
    prediction,
    provenance,
    pruning,
    sections,
    seednoise,
    strongest,
    summary,
)
from randrnn.analysis.report.elements import Figures, Paragraph, frame_table
from randrnn.graphs.dag import layers, to_dag
from randrnn.store import Study

OPTIONS = AnalysisConfig(cv=3, repeats=1)


def runs_by_sql(path: Path) -> pd.DataFrame:
    """The finished runs read straight from the database: graph, generator, cell, accuracy."""
    with sqlite3.connect(path / "study.sqlite") as conn:
        rows = conn.execute(
            "SELECT r.graph_id, g.generator, r.cell, r.replicate, r.metrics FROM runs r "
            "JOIN graphs g ON g.id = r.graph_id WHERE r.status = 'done'"
        ).fetchall()
    return pd.DataFrame(
        [(g, gen, c, rep, json.loads(m)["test_acc"]) for g, gen, c, rep, m in rows],
        columns=["graph_id", "generator", "cell", "replicate", "test_acc"],
    )


@pytest.fixture(scope="module")
def ctx(replicated_study: Path, tmp_path_factory):
    """The study context of the replicated study (24 graphs × rnn_tanh, gru × 2 replicates)."""
    from randrnn.analysis import table

    runs = table.load_study(replicated_study, per_run=True)
    out = tmp_path_factory.mktemp("sections")
    with Study.open(replicated_study) as study:
        yield build.context(study, runs, OPTIONS, out, None)


@pytest.fixture(scope="module")
def direct(replicated_study: Path) -> pd.DataFrame:
    """Each graph's mean accuracy per cell over its replicates, from SQL."""
    runs = runs_by_sql(replicated_study)
    return runs.groupby(["cell", "graph_id", "generator"], as_index=False)["test_acc"].mean()


def test_accuracy_summary_is_the_mean_per_cell_and_generator(ctx, direct) -> None:
    """Count and mean per (cell, generator) equal a groupby of the runs read by SQL."""
    found = accuracy.compute(ctx.tasks[0])
    expected = direct.groupby(["cell", "generator"])["test_acc"].agg(["count", "mean"])
    assert len(found.summary) == len(expected)
    for row in found.summary.itertuples():
        cell = {"GRU": "gru", "RNN_Tanh": "rnn_tanh"}[row.cell]
        count, mean = expected.loc[(cell, row.generator)]
        assert row.count == count and row.mean == pytest.approx(round(mean, 4), abs=1e-12)


def test_summary_rows_hold_mean_baseline_and_best_pooled_r2(ctx, direct) -> None:
    """Per cell: the mean over graphs (SQL), the best baseline (reber.baselines on the seen
    strings), and the highest pooled R² of a real regressor with the Dummy's beside."""
    t = ctx.tasks[0]
    found = summary.compute(ctx)
    train, test = reber.load_data(None)
    base = reber.baselines(train, test)  # CONFIG has no subsets: every string was seen
    name, best_base = max(base.items(), key=lambda kv: kv[1])
    scores = t.scores.cv
    for row in found.cells.to_dict("records"):
        cell = {"GRU": "gru", "RNN_Tanh": "rnn_tanh"}[row["cell"]]
        acc = direct.loc[direct["cell"] == cell, "test_acc"]
        assert row["mean accuracy"] == pytest.approx(acc.mean())
        assert row["sd"] == pytest.approx(acc.std())
        assert row["best baseline"] == f"{name} {best_base:.3f}"
        assert row["above it"] == pytest.approx(acc.mean() - best_base)
        real = scores[(scores["cell"] == cell) & (scores["regressor"] != "dummy")]
        dummy = scores[(scores["cell"] == cell) & (scores["regressor"] == "dummy")]
        assert row["pooled R²"] == pytest.approx(real["r2_pooled"].max())
        assert row["Dummy pooled R²"] == pytest.approx(dummy["r2_pooled"].iloc[0])
        assert row["R² / ceiling"] == pytest.approx(row["pooled R²"] / t.ceilings[cell][0])
    assert list(found.cells["cell"]) == ["RNN_Tanh", "GRU"] and found.pruning.empty


def test_summary_alerts_when_accuracy_is_below_the_baseline(ctx) -> None:
    """The study's accuracies (≤ 1.0 around 0.6-0.9) lie below the n-gram baseline: alerted."""
    found = summary.compute(ctx)
    assert any("is not above the ngram baseline" in a for a in found.alerts)


def test_correlation_matches_scipy(ctx, direct) -> None:
    """The strongest property's Pearson r per cell equals scipy's on the SQL means."""
    t = ctx.tasks[0]
    found = correlation.compute(t)
    picks = strongest.compute(t).picks
    with Study.open(ctx.study.path) as study:
        props = {g["id"]: g["properties"] for g in study.graphs()}
    for cell, chosen in picks.items():
        prop = chosen["property"].iloc[0]
        rows = direct[direct["cell"] == cell].sort_values("graph_id")
        x = [props[g][prop] for g in rows["graph_id"]]
        r = stats.pearsonr(x, rows["test_acc"]).statistic
        assert chosen["pearson"].iloc[0] == pytest.approx(r, abs=1e-9)
        got = found.result[(found.result["cell"] == cell) & (found.result["property"] == prop)]
        assert got["pearson"].iloc[0] == pytest.approx(r, abs=1e-9)
        assert abs(chosen["pearson"]).is_monotonic_decreasing and len(chosen) == OPTIONS.top


def test_seed_noise_pairs_every_graph(ctx, direct) -> None:
    """Two replicates: one pair per graph and cell, r = Pearson of replicate 0 vs 1 (SQL)."""
    found = seednoise.compute(ctx.tasks[0])
    runs = runs_by_sql(ctx.study.path)
    for cell, rows in found.pairs.groupby("cell"):
        wide = runs[runs["cell"] == cell].pivot(index="graph_id", columns="replicate",
                                                values="test_acc")  # fmt: skip
        assert len(rows) == len(wide) == 24
        assert rows["r"].iloc[0] == pytest.approx(stats.pearsonr(wide[0], wide[1]).statistic)


def test_prediction_table_leads_with_the_pooled_r2(ctx) -> None:
    """The pooled R² comes before the fold mean in the table, and the legend says which is
    which."""
    found = prediction.compute(ctx.tasks[0])
    columns = list(prediction.scored(found).columns)
    assert columns.index("r2_pooled") < columns.index("r2") < columns.index("r2_sd")
    texts = [e.text for e in prediction.render(found, Figures(ctx.figures.out_dir))
             if isinstance(e, Paragraph)]  # fmt: skip
    assert any("r2_pooled (leading)" in t and "r2 and r2_sd" in t for t in texts)


def test_data_set_baselines_are_reber_baselines(ctx) -> None:
    """The baselines per cell are `reber.baselines` of the strings the runs saw."""
    found = dataset.compute(ctx.meta, None, ctx.tasks[0].configs)
    train, test = reber.load_data(None)
    expected = reber.baselines(train, test)
    assert found.by_cell == {"rnn_tanh": expected, "gru": expected}
    assert found.statistics["train"].iloc[0] == f"{len(train)}"


def test_provenance_counts_graphs_and_runs(ctx) -> None:
    """The provenance lists the study's graphs and the runs analysed (SQL counts)."""
    found = provenance.compute(ctx)
    items = dict(zip(found.items["item"], found.items["value"]))
    with sqlite3.connect(ctx.study.path / "study.sqlite") as conn:
        graphs = conn.execute("SELECT COUNT(*) FROM graphs").fetchone()[0]
        runs = conn.execute("SELECT COUNT(*) FROM runs WHERE status = 'done'").fetchone()[0]
    assert items["graphs"] == str(graphs) and items["finished runs analysed"] == str(runs)


def test_pruning_section_keeps_the_fragment_without_its_own_heading() -> None:
    """The pruning fragment's <section>/<h2> wrapper is left to the page's template."""
    (found,) = pruning.render("<section id='pruning'>\n<h2>Pruning</h2>\n<p>x</p></section>\n",
                              None)  # fmt: skip
    assert found.html == "<p>x</p>"
    (none,) = pruning.render(None, None)
    assert "no pruning results" in none.text


def test_drawings_are_the_best_and_worst_graph_with_dag_layers(ctx, direct) -> None:
    """Per cell: the graphs of highest and lowest mean accuracy (SQL), each with the layers of
    dag.py, every edge going to a later layer."""
    found = drawings.compute(ctx.tasks[0])
    assert set(found.cells) == {"rnn_tanh", "gru"}
    with Study.open(ctx.study.path) as study:
        for cell, (best, worst) in found.cells.items():
            rows = direct[direct["cell"] == cell]
            assert best.accuracy == pytest.approx(rows["test_acc"].max())
            assert worst.accuracy == pytest.approx(rows["test_acc"].min())
            for d in (best, worst):
                dag = to_dag(study.graph(d.graph_id)["graph"])
                assert d.layers == layers(dag)
                at = {v: i for i, nodes in enumerate(d.layers) for v in nodes}
                assert sorted(at) == sorted(dag.nodes) and len(d.edges) == dag.number_of_edges()
                assert all(at[u] < at[v] for u, v in d.edges)


def test_drawn_figure_has_one_column_per_layer(ctx) -> None:
    """In the drawn figure, each panel's nodes sit in as many columns as the graph has layers
    (dag.py's count), with one point per node."""
    found = drawings.compute(ctx.tasks[0])
    fig = drawings.figure(found.cells, "test_acc")
    panels = [d for ds in found.cells.values() for d in ds]
    assert len(fig.axes) == len(panels) == 4
    for ax, d in zip(fig.axes, panels):
        points = ax.collections[-1].get_offsets()
        assert len(np.unique(points[:, 0])) == len(d.layers)
        assert len(points) == sum(map(len, d.layers))


@pytest.fixture(scope="module")
def page(replicated_study: Path, tmp_path_factory) -> str:
    from randrnn.analysis.report import write_report

    out = tmp_path_factory.mktemp("page")
    return write_report(replicated_study, out, options=OPTIONS).read_text()


def titles(text: str) -> list[str]:
    return re.findall(r"<h2>(.*?)</h2>", text)


def test_page_opens_with_the_summary_and_ends_with_provenance(page: str) -> None:
    """Summary first, then the findings; the data set and provenance last."""
    found = titles(page)
    assert found[0] == "Summary" and found[-2:] == ["Data set", "Provenance"]
    assert page.index("the study in one table") < page.index('<section id="provenance">')


def test_page_lists_exactly_the_registered_sections(page: str) -> None:
    """A one-task study without pruning shows every registered section that applies, in the
    registry's order (the multi-task ones left out)."""
    expected = [k.title for k in sections.SECTIONS if k.when is not sections.several]
    assert titles(page) == expected
    nav = re.search(r"<nav>(.*?)</nav>", page, re.DOTALL).group(1)
    assert re.findall(r">([^<]+)</a>", nav) == expected


def test_page_has_a_drawing_per_cell(page: str) -> None:
    """The drawings section embeds one figure (best and worst of each cell, titled)."""
    body = page.split('<section id="graphs-drawn">')[1].split("</section>")[0]
    assert body.count("<img") == 1 and "graphs_drawn.png" in body


def test_adding_a_section_is_one_registry_entry(
    replicated_study: Path, tmp_path: Path, monkeypatch
) -> None:
    """A new `Kind` in SECTIONS shows on the page at its place, computed and rendered by its
    own functions, nothing else changed."""
    from randrnn.analysis.report import write_report

    def compute(ctx) -> int:
        return len(ctx.df)

    def render(rows: int, figures) -> tuple:
        return (frame_table(pd.DataFrame({"rows": [rows]}), "rows analysed"),)

    new = sections.Kind("Row count", compute, render, per_task=True)
    kinds = [
        k
        for k in sections.SECTIONS
        if k.title
        not in ("Prediction", "Thesis comparison", "Accuracy vs the strongest properties")
    ]
    kinds.insert(1, new)
    monkeypatch.setattr(sections, "SECTIONS", tuple(kinds))
    text = write_report(replicated_study, tmp_path, options=OPTIONS).read_text()
    expected = [k.title for k in kinds if k.when is not sections.several]
    assert titles(text) == expected and expected[1] == "Row count"
    body = text.split('<section id="row-count">')[1].split("</section>")[0]
    assert "<td>48</td>" in body  # 24 graphs × 2 cells
