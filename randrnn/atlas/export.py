"""Export a study's finished runs as an atlas folder (`randrnn.atlas.layout`), atomically.

A *slice* is one task under one training config: the runs the study was asked for (every graph
× cell × replicate, or a split's graph × its cell × replicate; `randrnn.atlas.slices` checks
them). The export checks the study first, each problem one line: runs that failed or are still
in flight, a task trained under more than one config (pick one with ``config``), and a slice with
runs missing, a replicate never trained included (finish it with train-all, or export with
``partial``, which names every missing run in the datasheet instead of leaving it unsaid).
Nothing is ever filled in: a run without a recorded curve has no curve rows (``has_curve``
false). Every run is named by its atlas run id (`run_name`): its row, its curve rows and its
tensor in ``weights.safetensors``.

The folder is written beside its destination under a temporary name and renamed into place
in one step, so an interrupted export leaves the old atlas (or nothing), never half of one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import networkx as nx
import pandas as pd

from randrnn.atlas import layout
from randrnn.atlas.datasheet import datasheet
from randrnn.atlas.hashing import edge_list_json, resolve_collisions
from randrnn.atlas.slices import Slice, select_slices, task_of
from randrnn.errors import RandRNNError
from randrnn.graphs.dag import to_dag
from randrnn.graphs.properties import EXTRAS, FEATURES
from randrnn.store import Study
from randrnn.store.base import config_hash, dumps
from randrnn.store.weights import WEIGHTS_TABLE
from randrnn.training.runner import batch_seed, model_seed
from randrnn.version import code_version


def run_name(run: dict) -> str:
    """A study run's atlas run id (``task/cell/graph/replicate``): its row's ``run_id``, its
    curve rows' and its tensor's name in ``weights.safetensors``."""
    return layout.run_id(task_of(run["config"]), run["cell"], run["graph_id"], run["replicate"])


def export_atlas(
    study_path: str | Path,
    out: str | Path,
    tasks: list[str] | None = None,
    cells: list[str] | None = None,
    config: str | None = None,
    partial: bool = False,
    weights: bool = True,
    version: str | None = None,
    commands: list[str] | None = None,
    note: str | None = None,
) -> dict:
    """Write the atlas of the study at ``study_path`` to ``out`` and return its meta.

    ``tasks``: only these tasks' runs (default: every task with done runs); ``cells``: only
    these cells' (a slice is then those cells of its task). ``config``: the
    config (hash or unique prefix) where a task has several. ``partial``: export slices with
    runs missing (named in the datasheet). ``weights``: add ``weights.safetensors`` where the
    study kept weights. ``version``: the atlas' version string (default: today's date).
    ``commands``: how the study was made, for the datasheet (default: read from the study).
    ``note``: a paragraph for the datasheet (what is planned but not in this export, say).
    """
    out = Path(out)
    if out.exists() and not (out / layout.META).is_file() and any(out.iterdir()):
        raise RandRNNError(f"--out {out} exists and is not an atlas; give a new folder")
    with Study.open(study_path) as study:
        slices, runs = select_slices(study, tasks, cells, config, partial)
        graphs = _graph_table(study.graphs())
        run_table = _run_table(study, runs, graphs)
        curves = _curve_table(study, runs)
        run_table["has_curve"] = run_table["run_id"].isin(set(curves["run_id"]))
        kept = kept_weights(study, runs) if weights else {}
        run_table["has_weights"] = run_table["run_id"].isin(set(kept))
        meta_in = {key: study.get_meta(key) for key in ("seed", "generators", "nodes",
                                                         "generator_params", "study_toml")}  # fmt: skip
    graphs = graphs[graphs["graph_id"].isin(set(run_table["graph_id"]))].reset_index(drop=True)
    meta = {
        "name": "randrnn-atlas",
        "format": layout.FORMAT,
        "version": version or pd.Timestamp.now("UTC").strftime("%Y.%m.%d"),
        "created": pd.Timestamp.now("UTC").isoformat(timespec="seconds"),
        "exported_by": code_version(),
        "networkx": nx.__version__,  # its WL hashes changed in 3.5: `load` checks the version
        "codes": sorted(set(run_table["code"].dropna())),
        "study": {"seed": meta_in["seed"], "generators": meta_in["generators"],
                  "nodes": meta_in["nodes"], "generator_params": meta_in["generator_params"]},
        "slices": [s.describe() for s in slices],
        "counts": {"graphs": len(graphs), "runs": len(run_table), "curve_rows": len(curves),
                   "weights": len(kept)},
        "commands": commands or _commands(meta_in, slices),
        "note": note or "",
    }  # fmt: skip
    _write(out, meta, graphs, run_table, curves, kept)
    return meta


def _graph_table(graphs: list[dict]) -> pd.DataFrame:
    """One row per graph: ids, hashes (collisions resolved), provenance, edge list, properties."""
    undirected = [g["graph"] if not g["graph"].is_directed() else g["graph"].to_undirected()
                  for g in graphs]  # fmt: skip
    dags = [to_dag(g["graph"]) for g in graphs]
    hashes, dag_hashes = resolve_collisions(undirected), resolve_collisions(dags)
    rows = []
    for g, h, dh in zip(graphs, hashes, dag_hashes):
        row = {"graph_id": g["id"], "hash": h, "dag_hash": dh, "generator": g["generator"],
               "params": dumps(g["params"], canonical=True), "seed": g["seed"],
               "nodes": g["nodes"], "edges": g["edges"], "edge_list": edge_list_json(g["graph"]),
               "directed": g["graph"].is_directed()}  # fmt: skip
        for name in FEATURES + EXTRAS:
            if name in ("nodes", "edges"):  # the graph's own integer columns above
                continue
            value = g["properties"].get(name)
            row[name] = None if value is None else float(value)
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["seed"] = frame["seed"].astype("Int64")
    return frame


def _run_table(study: Study, runs: list[dict], graphs: pd.DataFrame) -> pd.DataFrame:
    recipes = study.get_meta("recipes") or {}
    seed = int(study.get_meta("seed", 0))
    rows = []
    for r in runs:
        cfg, m = r["config"], r["metrics"] or {}
        task = task_of(cfg)
        data = str(cfg.get("data", "shipped"))
        rows.append({
            "run_id": run_name(r),
            "graph_id": r["graph_id"], "cell": r["cell"], "task": task, "data": data,
            "recipe": dumps(recipes.get(data), canonical=True),
            "config": dumps(cfg, canonical=True), "config_hash": config_hash(cfg),
            "replicate": r["replicate"], "study_seed": seed,
            "model_seed": model_seed(seed, r["graph_id"], r["cell"], r["replicate"]),
            "batch_seed": batch_seed(int(cfg.get("seed", 0)), r["replicate"]),
            **{k: m.get(k) for k in ("test_acc", "test_loss", "train_acc", "train_loss",
                                      "effective_params", "epochs", "train_seconds")},
            "device": r.get("device"), "engine": r.get("engine"), "code": r.get("code"),
        })  # fmt: skip
    frame = pd.DataFrame(rows, columns=[c for c in layout.RUN_COLUMNS if c not in
                                        ("has_curve", "has_weights")])  # fmt: skip
    for name in ("model_seed", "batch_seed"):
        frame[name] = frame[name].astype("uint64")
    return frame.sort_values(["task", "cell", "graph_id", "replicate"]).reset_index(drop=True)


def _curve_table(study: Study, runs: list[dict]) -> pd.DataFrame:
    names = {r["id"]: run_name(r) for r in runs}
    rows = [c for c in study.curves() if c["run_id"] in names]
    frame = pd.DataFrame(rows, columns=["run_id", "epoch", *layout.CURVE_COLUMNS[2:]])
    frame["run_id"] = frame["run_id"].map(names)
    frame = frame[layout.CURVE_COLUMNS].astype({"run_id": "string", "epoch": "int64"})
    fields = layout.CURVE_COLUMNS[2:]
    frame = frame.astype(dict.fromkeys(fields, "float64"))
    return frame.sort_values(["run_id", "epoch"]).reset_index(drop=True)


def kept_weights(study: Study, runs: list[dict]) -> dict[str, tuple[str, bytes]]:
    """The runs' kept weights by atlas run id (`run_name`, the tensors' names in
    ``weights.safetensors``): ``(layout, float32 bytes)``; runs without kept weights are absent."""
    if not study.has_table(WEIGHTS_TABLE):
        return {}
    found = ((run_name(r), study.run_weights(r["id"])) for r in runs)
    return {name: kept for name, kept in found if kept is not None}


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksum(files: dict[str, str]) -> str:
    """The atlas' checksum: sha256 over the light tables' names and checksums, in order."""
    text = "".join(f"{name}:{files[name]}\n" for name in layout.LIGHT if name in files)
    return hashlib.sha256(text.encode()).hexdigest()


def _write(out: Path, meta: dict, graphs, runs, curves, kept) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    tmp.chmod(0o755)  # mkdtemp's folder is private; an atlas is for reading
    try:
        opts = {"index": False, "compression": "zstd"}
        graphs.to_parquet(tmp / layout.GRAPHS, **opts)
        runs.to_parquet(tmp / layout.RUNS, **opts)
        curves.to_parquet(tmp / layout.CURVES, **opts)
        if kept:
            _write_weights(tmp / layout.WEIGHTS, kept)
        files = {p.name: sha256(p) for p in sorted(tmp.iterdir())}
        meta["files"] = files
        meta["checksum"] = checksum(files)
        (tmp / layout.META).write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
        (tmp / layout.DATASHEET).write_text(datasheet(meta, runs))
        _replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write_weights(path: Path, kept: dict[str, tuple[str, bytes]]) -> None:
    import numpy as np
    from safetensors.numpy import save_file

    tensors = {name: np.frombuffer(blob, dtype=np.float32).copy() for name, (_, blob) in
               kept.items()}  # fmt: skip
    save_file(tensors, str(path), metadata={name: lay for name, (lay, _) in kept.items()})


def _replace(tmp: Path, out: Path) -> None:
    """Move the finished folder into place: the old atlas is moved aside first and removed
    after, so ``out`` is only ever the old atlas or the new one (absent for an instant
    between the two renames), never a half-written one."""
    if not out.exists():
        os.replace(tmp, out)
        return
    old = out.parent / f".{out.name}.old"
    shutil.rmtree(old, ignore_errors=True)
    os.replace(out, old)
    try:
        os.replace(tmp, out)
    except BaseException:
        os.replace(old, out)  # the old atlas back in place
        raise
    shutil.rmtree(old, ignore_errors=True)


def _commands(meta: dict, slices: list[Slice]) -> list[str]:
    """How the study was made, as commands, from what the study recorded."""
    if meta.get("study_toml"):
        return ["randrnn run STUDY.toml  # the study file, as recorded:\n" + meta["study_toml"]]
    lines = []
    if meta.get("generators"):
        lo, hi = meta.get("nodes") or (10, 50)
        lines.append(f"randrnn generate --generators {','.join(meta['generators'])}"
                     f" --nodes {lo}:{hi} --seed {meta.get('seed', 0)} --n {slices[0].graphs}")  # fmt: skip
    for s in slices:
        c = s.config
        settings = ""
        for key in ("epochs", "batch_size", "lr", "clip", "seed", "batching", "readout",
                    "max_train", "max_test", "eval_batch_size"):  # fmt: skip
            if c.get(key) is not None:
                settings += f" --{key.replace('_', '-')} {c[key]}"
        if c.get("data") not in (None, "shipped"):
            settings += f"  # data {c['data']}: the recipe in runs.parquet rebuilds it"
        asked = s.requests or [{"cells": s.cells, "assign": "all", "replicates": s.replicates}]
        for req in asked:  # the recorded requests, else what the runs show
            assign = " --assign split" if req["assign"] == "split" else ""
            lines.append(f"randrnn train-all --task {s.task} --cells {','.join(req['cells'])}"
                         f"{assign} --replicates {req['replicates']}{settings}")  # fmt: skip
    return lines
