"""randrnn.design: the stored graphs are exactly the best-scored candidates, the control group
is drawn from the rest, and seeds reproduce."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from randrnn.design import GROUPS, candidates, design_into, pick, ranking, stream
from randrnn.errors import RandRNNError
from randrnn.graphs.generate import generate_graph
from randrnn.graphs.properties import properties
from randrnn.store import Study

N, TOP, RANDOM = 24, 5, 4


def known_score(props, generators) -> pd.DataFrame:
    """A scoring function with an independent answer: edges per node, ws favoured by 0.5."""
    edges = np.array([p["edges"] / p["nodes"] for p in props])
    bonus = np.array([0.5 if g == "ws" else 0.0 for g in generators])
    return pd.DataFrame({"score": edges + bonus, "edges_per_node": edges})


def expected_scores(n: int, seed: int) -> np.ndarray:
    """The known score of candidates 0..n-1, computed from scratch."""
    out = []
    for i in range(n):
        name = ("ws", "ba")[i % 2]
        g = generate_graph(name, i, stream(seed), (10, 30))["graph"]
        out.append(g.number_of_edges() / g.number_of_nodes() + (0.5 if name == "ws" else 0.0))
    return np.array(out)


def designed(tmp_path, seed: int = 3, name: str = "d"):
    with Study.create(tmp_path / name) as study:
        made = design_into(
            study, known_score, candidates_n=N, top=TOP, random=RANDOM, seed=seed,
            generators=("ws", "ba"), nodes=(10, 30),
        )  # fmt: skip
        return made, study.graphs(), study.get_meta("design")


def test_top_candidates_are_exactly_the_best_scored(tmp_path):
    """The designed graphs are the TOP highest known scores, best first, with their scores."""
    made, graphs, _ = designed(tmp_path)
    scores = expected_scores(N, 3)
    best = sorted(range(N), key=lambda i: (-scores[i], i))[:TOP]
    group = [g for g in graphs if g["params"]["group"] == "designed"]
    assert [g["params"]["candidate"] for g in group] == best
    assert [g["params"]["rank"] for g in group] == list(range(1, TOP + 1))
    assert np.allclose([g["params"]["score"] for g in group], scores[best])
    assert {g["generator"] for g in group} <= {"design:ws", "design:ba"}
    assert made.ids["designed"] == [g["id"] for g in group]


def test_stored_graph_is_the_candidate_regenerated(tmp_path):
    """A stored graph is its generator's graph for its seed, with its properties."""
    _, graphs, _ = designed(tmp_path)
    for g in graphs:
        name = g["generator"].removeprefix("design:")
        again = generate_graph(name, g["params"]["candidate"], stream(3), (10, 30))
        assert again["seed"] == g["seed"]
        assert sorted(again["graph"].edges) == sorted(g["graph"].edges)
        assert g["properties"] == pytest.approx(properties(again["graph"]), nan_ok=True)


def test_control_group_comes_from_the_rest(tmp_path):
    """The random group has RANDOM candidates, none of them designed, each once."""
    _, graphs, _ = designed(tmp_path)
    top = {g["params"]["candidate"] for g in graphs if g["params"]["group"] == "designed"}
    drawn = [g["params"]["candidate"] for g in graphs if g["params"]["group"] == "random"]
    assert len(drawn) == len(set(drawn)) == RANDOM and not top & set(drawn)
    assert len(graphs) == TOP + RANDOM


def test_same_seed_same_design_other_seed_other_candidates(tmp_path):
    """A design is reproduced by its seed; another seed makes other candidates."""
    _, first, _ = designed(tmp_path, 3, "a")
    _, again, _ = designed(tmp_path, 3, "b")
    _, other, _ = designed(tmp_path, 4, "c")

    def key(graphs):
        return [(g["params"]["candidate"], sorted(g["graph"].edges)) for g in graphs]

    assert key(first) == key(again)
    assert key(first) != key(other)


def test_designing_again_adds_nothing_and_other_settings_are_refused(tmp_path):
    """The same design into its study adds no graph; another one is one error line."""
    designed(tmp_path)
    with Study.open(tmp_path / "d") as study:
        made = design_into(study, known_score, candidates_n=N, top=TOP, random=RANDOM, seed=3,
                           generators=("ws", "ba"), nodes=(10, 30))  # fmt: skip
        assert made.ids == {g: [] for g in GROUPS} and study.graph_count() == TOP + RANDOM
        with pytest.raises(RandRNNError, match="already holds a design with other settings"):
            design_into(study, known_score, candidates_n=N, top=TOP, random=RANDOM, seed=9,
                        generators=("ws", "ba"), nodes=(10, 30))  # fmt: skip


def test_a_study_with_graphs_is_refused(tmp_path):
    with Study.create(tmp_path / "s") as study:
        study.add_graphs([generate_graph("ws", 0, 0)])
        with pytest.raises(RandRNNError, match="already holds 1 graphs"):
            design_into(study, known_score, candidates_n=N, top=TOP)


def test_bad_scorer_and_counts_are_one_line(tmp_path):
    with Study.create(tmp_path / "s") as study:
        with pytest.raises(RandRNNError, match="'score' column"):
            design_into(study, lambda p, g: pd.DataFrame({"x": [1.0] * len(p)}), candidates_n=6,
                        top=2, nodes=(10, 20))  # fmt: skip
        with pytest.raises(RandRNNError, match="need 8 candidates"):
            design_into(study, known_score, candidates_n=6, top=5, random=3, nodes=(10, 20))
        assert study.graph_count() == 0


def test_candidates_are_not_the_graphs_of_a_study_with_the_same_seed():
    """Candidate i of design seed 0 is not graph i of a study generated with seed 0."""
    made = candidates(4, 0, nodes=(10, 30))
    for i in range(4):
        generated = generate_graph(("ws", "ba")[i % 2], i, 0, (10, 30))
        assert made.record(i)["seed"] != generated["seed"]


def test_ranking_ties_in_index_order_and_nan_last():
    assert ranking(np.array([1.0, np.nan, 3.0, 1.0, 3.0])).tolist() == [2, 4, 0, 3, 1]


def test_pick_draws_reproducibly_from_the_rest():
    scores = np.arange(50, dtype=float)
    best, drawn = pick(scores, 5, 10, seed=1)
    assert best == [49, 48, 47, 46, 45]
    assert drawn == pick(scores, 5, 10, seed=1)[1] != pick(scores, 5, 10, seed=2)[1]
    assert len(set(drawn)) == 10 and not set(drawn) & set(best)


def test_candidates_in_workers_are_the_same():
    """Two worker processes compute the same properties as one."""
    one = candidates(6, 5, nodes=(10, 20))
    two = candidates(6, 5, nodes=(10, 20), workers=2)
    assert one.generators == two.generators == ["ws", "ba"] * 3
    assert one.props == two.props
