"""An atlas as an ordinary study database, so that every command and function that reads a
study (results, correlate, predict, report) reads an atlas the same way. Made once per atlas
checksum under the cache folder (`randrnn.cache.cache_dir`), atomically, and never written to
after: it is a read-only view of the atlas."""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from randrnn.atlas import layout
from randrnn.atlas.hashing import from_edge_list
from randrnn.store import Study
from randrnn.store.study import DB_NAME
from randrnn.training.assignment import REQUESTS

if TYPE_CHECKING:
    from randrnn.atlas.reader import Atlas

METRICS = ("test_acc", "test_loss", "train_acc", "train_loss", "effective_params", "epochs",
           "train_seconds")  # fmt: skip


BUILDER = 2  # of `_fill`: a change to it makes new cached studies


def study_dir(atlas: Atlas) -> Path:
    from randrnn.cache import cache_dir

    return cache_dir() / "atlas-studies" / f"{atlas.checksum[:24]}-v{BUILDER}"


def materialise(atlas: Atlas) -> Path:
    """The folder of the study made from ``atlas`` (built now if the cache lacks it; the caller,
    `Atlas.study_path`, has verified the atlas' files first)."""
    target = study_dir(atlas)
    if (target / DB_NAME).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=target.parent))
    try:
        _fill(atlas, tmp)
        try:
            os.replace(tmp, target)
        except OSError:  # another process made it first (else: the error goes on)
            shutil.rmtree(tmp, ignore_errors=True)
            if not (target / DB_NAME).is_file():
                raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def write_study(atlas: Atlas, out: str | Path) -> Path:
    """A new study at ``out`` holding the atlas' graphs, runs and curves (no weights): train-all
    on it trains only what the atlas lacks (its configs, seeds and graph ids are the atlas'),
    which is how an atlas built over several sessions resumes. ``out`` must not exist."""
    from randrnn.errors import RandRNNError

    out = Path(out)
    if out.exists():
        raise RandRNNError(f"--out {out} exists; give a new folder for the study")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        _fill(atlas, tmp)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _clean(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _fill(atlas: Atlas, folder: Path) -> None:
    info = atlas.meta.get("study", {})
    runs = atlas.runs
    recipes = {d: json.loads(r) for d, r in zip(runs["data"], runs["recipe"]) if r}
    tasks = {t: ("shipped" if d == "shipped" else "default") for t, d in zip(runs["task"],
                                                                                runs["data"])}  # fmt: skip
    meta = {"seed": int(info.get("seed") or 0), "recipes": recipes, "tasks": tasks,
            "atlas": {"path": str(atlas.path), "version": atlas.version,
                      "checksum": atlas.checksum}}  # fmt: skip
    for key in ("generators", "nodes", "generator_params"):
        if info.get(key) is not None:
            meta[key] = info[key]
    requests = {s["config_hash"]: s["requests"] for s in atlas.meta.get("slices", [])
                if s.get("requests")}  # fmt: skip
    if requests:  # what the study was asked for: the export of the resumed study checks it
        meta[REQUESTS] = requests
    if any(t == "reber" and d == "shipped" for t, d in zip(runs["task"], runs["data"])):
        meta["data"] = "shipped"  # other reber data: the report rebuilds it from its recipe
    props = [c for c in atlas.graphs.columns if c not in layout.GRAPH_COLUMNS]
    with Study.create(folder, meta=meta) as study:
        records = []
        for row in atlas.graphs.to_dict("records"):
            g = from_edge_list(row["nodes"], row["edge_list"], bool(row.get("directed", False)))
            records.append({
                "index": int(row["graph_id"]), "generator": row["generator"],
                "params": json.loads(row["params"] or "{}"), "seed": _clean(row["seed"]),
                "graph": g, "properties": {p: _clean(row[p]) for p in props if _clean(row[p])
                                           is not None},
            })  # fmt: skip
        study.add_graphs(records)
        study.keep_curves_table()
        curves = {rid: grp.to_dict("records") for rid, grp in atlas.curves.groupby("run_id")}
        with study.transaction():
            for row in runs.to_dict("records"):
                config = json.loads(row["config"])
                rid = study.start_run(int(row["graph_id"]), row["cell"], config, "atlas",
                                      replicate=int(row["replicate"]))  # fmt: skip
                metrics = {k: _clean(row[k]) for k in METRICS if _clean(row.get(k)) is not None}
                study.finish_run(rid, metrics, _clean(row["device"]), _clean(row["engine"]),
                                 _clean(row["code"]))  # fmt: skip
                if row["run_id"] in curves:
                    study.put_curve(rid, curves[row["run_id"]])
