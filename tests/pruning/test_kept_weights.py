"""Kept weights: train-all keeps each run's trained model, and prune --graphs prunes it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import networkx as nx
import pytest
import torch
from typer.testing import CliRunner

from randrnn import reber
from randrnn.cli import app
from randrnn.errors import RandRNNError
from randrnn.graphs.dag import to_dag
from randrnn.models.cells import CELLS
from randrnn.models.graph_rnn import build_model
from randrnn.models.weights import layout, pack, unpack
from randrnn.pipeline import generate_into
from randrnn.pruning import packed, results
from randrnn.pruning.protocol import load_base
from randrnn.pruning.structure import graph_experiments
from randrnn.store import Study, config_hash
from randrnn.training.config import TrainConfig
from randrnn.training.loop import evaluate, prepare_data
from randrnn.training.runner import train_study

CONFIG = TrainConfig(epochs=2, batch_size=32, max_train=200, max_test=80)


@pytest.mark.parametrize("cell", list(CELLS))
def test_pack_unpack_restores_every_weight_into_a_fresh_model(cell: str) -> None:
    """Packed weights of a trained-looking model load into a fresh model of the same graph and
    cell with every state entry equal (masks are the structure's own); ~4 bytes per value."""
    dag = to_dag(nx.connected_watts_strogatz_graph(12, 4, 0.5, tries=10, seed=1))
    trained = build_model(dag, cell, seed=0)
    with torch.no_grad():
        for p in trained.parameters():
            p.add_(torch.randn_like(p))
    kept_layout, data = pack(trained)
    values = sum(v.numel() for k, v in trained.state_dict().items() if not k.endswith("_mask"))
    assert len(data) == 4 * values
    fresh = build_model(dag, cell, seed=99)
    unpack(fresh, kept_layout, data)
    want, got = trained.state_dict(), fresh.state_dict()
    assert list(got) == list(want)
    for key in want:
        assert torch.equal(got[key], want[key]), key
    codes = torch.randint(65, 90, (3, 7))
    lengths = torch.tensor([7, 5, 2])
    assert torch.equal(fresh(codes, lengths), trained(codes, lengths))


def test_unpack_refuses_another_model() -> None:
    """Weights of one graph do not load into the model of another (one error line)."""
    small = build_model(to_dag(nx.path_graph(5)), "gru", seed=0)
    other = build_model(to_dag(nx.path_graph(6)), "gru", seed=0)
    assert layout(small) != layout(other)
    with pytest.raises(RandRNNError, match="do not fit this model"):
        unpack(other, *pack(small))


@pytest.fixture(scope="module")
def kept_study(tmp_path_factory, tiny_data) -> tuple[Path, Path]:
    """Four generated graphs trained by train-all as GRU and RNN_Tanh, weights kept (the
    default); and the data folder."""
    from randrnn.tasks.data import folder_key

    root = tmp_path_factory.mktemp("kept")
    data = root / "data"
    reber.write_dataset(*tiny_data, data)
    with Study.create(root / "study") as study:
        generate_into(study, 4, 0, ("ws", "ba"), (10, 14))
        config = replace(CONFIG, data=folder_key(data))
        list(train_study(study, ["gru", "rnn_tanh"], config, *tiny_data))
    return root / "study", data


def test_every_run_keeps_its_weights_and_they_give_its_accuracy(kept_study, tiny_data) -> None:
    """Each done run has kept weights; loaded into the model the pruning path builds, they give
    the run's stored test accuracy and loss (`loop.evaluate`, not the engine that trained it)."""
    from randrnn.pruning.protocol import new_model

    with Study.open(kept_study[0]) as study:
        runs = study.runs("done")
        assert len(runs) == 8 and study.kept_runs() == {r["id"] for r in runs}
        config = TrainConfig.from_dict(runs[0]["config"])
        _, test = prepare_data(*tiny_data, config)
        for cell in ("gru", "rnn_tanh"):
            for spec, cfg in graph_experiments(
                study, [cell], "all", ["magnitude"], ["both"], levels=(50.0,),
                retrain_epochs=1, tolerance=0.01,
            ):  # fmt: skip
                kept = study.kept_weights(spec.graph_id, cell, config_hash(cfg.to_dict()))
                model = new_model(spec, study.graph(spec.graph_id)["graph"])
                unpack(model, kept["layout"], kept["weights"])
                scored = evaluate(model, test, cfg.eval_batch_size)
                assert scored["acc"] == pytest.approx(kept["metrics"]["test_acc"], abs=1e-6)
                assert scored["loss"] == pytest.approx(kept["metrics"]["test_loss"], abs=1e-5)


def _copy(kept_study: tuple[Path, Path], tmp_path: Path) -> Path:
    """A copy of the kept study's folder, to prune without changing the shared one."""
    import shutil

    shutil.copytree(kept_study[0], tmp_path / "study")
    return tmp_path / "study"


def test_prune_graphs_trains_no_base_when_weights_are_kept(
    kept_study, monkeypatch, tmp_path
) -> None:
    """prune --graphs all on a study with kept weights trains no base model (a spy on the base
    trainer) and each base is its run: acc_before is the run's test accuracy, and the base's
    checkpoint holds the run's weights."""
    study_path, data = _copy(kept_study, tmp_path), kept_study[1]
    trained: list[int] = []
    real = packed.train_bases

    def spy(bases, *args, **kwargs):
        trained.append(len(bases))
        return real(bases, *args, **kwargs)

    monkeypatch.setattr("randrnn.pruning.runner.train_bases", spy)
    result = CliRunner().invoke(
        app,
        ["prune", "--study", str(study_path), "--data", str(data), "--graphs", "all",
         "--cells", "gru,rnn_tanh", "--levels", "50,90", "--retrain-epochs", "1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert trained == []
    with Study.open(study_path) as study:
        runs = {(r["graph_id"], r["cell"]): r for r in study.runs("done")}
        bases = {b["id"]: b for b in results.bases(study)}
        assert len(bases) == 8
        rows = results.runs(study)
        assert len(rows) == 16
        for row in rows:
            base = bases[row["base_id"]]
            run = runs[(int(base["model"].split(":")[1]), base["cell"])]
            assert row["acc_before"] == run["metrics"]["test_acc"]
        spec, _ = graph_experiments(
            study, ["gru"], [1], ["magnitude"], ["both"], levels=(50.0,), retrain_epochs=1,
            tolerance=0.01,
        )[0]  # fmt: skip
        base = next(b for b in bases.values() if b["model"] == "graph:1" and b["cell"] == "gru")
        kept = study.kept_weights(1, "gru", base["config_hash"])
        assert pack(load_base(study, spec, base)) == (kept["layout"], kept["weights"])
        assert base["waea_stats"] is None


def test_waea_last_epoch_trains_the_base_and_waea_steps_uses_kept(kept_study, tmp_path) -> None:
    """WAEA reading the last training epoch needs that epoch's statistics, so its base is
    trained (as without kept weights); on a base already loaded from kept weights it is one
    error line naming --waea-steps, and --waea-steps works from the kept weights."""
    path = _copy(kept_study, tmp_path)
    args = ["prune", "--study", str(path), "--data", str(kept_study[1]), "--cells", "gru",
            "--levels", "50", "--retrain-epochs", "1"]  # fmt: skip
    assert CliRunner().invoke(app, [*args, "--graphs", "1", "--method", "waea"]).exit_code == 0
    assert CliRunner().invoke(app, [*args, "--graphs", "0"]).exit_code == 0
    result = CliRunner().invoke(app, [*args, "--graphs", "0", "--method", "waea"])
    assert isinstance(result.exception, RandRNNError)
    assert "use --waea-steps N" in str(result.exception)
    result = CliRunner().invoke(app, [*args, "--graphs", "0", "--method", "waea", "--waea-steps",
                                      "3"])  # fmt: skip
    assert result.exit_code == 0, result.output
    with Study.open(path) as study:
        stats = {b["model"]: b["waea_stats"] for b in results.bases(study)}
        rows = results.runs(study)
    assert stats["graph:1"] is not None and stats["graph:0"] is None  # trained, kept
    assert sorted((r["model"], r["method"]) for r in rows) == [
        ("graph:0", "magnitude"), ("graph:0", "waea"), ("graph:1", "waea"),
    ]  # fmt: skip


def test_no_keep_weights_keeps_none(tmp_path: Path, tiny_data) -> None:
    """train-all --no-keep-weights stores no weights (prune then trains the bases again)."""
    data = tmp_path / "data"
    reber.write_dataset(*tiny_data, data)
    runner = CliRunner()
    study = str(tmp_path / "s")
    assert runner.invoke(app, ["generate", "--n", "2", "--study", study]).exit_code == 0
    result = runner.invoke(
        app,
        ["train-all", "--study", study, "--data", str(data), "--cells", "rnn_tanh", "--epochs",
         "1", "--max-train", "100", "--max-test", "50", "--no-keep-weights"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with Study.open(study) as st:
        assert len(st.runs("done")) == 2 and st.kept_runs() == set()
