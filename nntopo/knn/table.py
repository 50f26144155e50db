"""Softmax against k-NN on the digits: every dataset x seed x loss, and its Markdown table."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import torch

from ..config import Progress
from ..version import __version__
from .digits import Split, load_digits
from .net import ConvNet, KnnConfig, knn_predict, representations, train_net


def evaluate(net: ConvNet, split: Split, ks: tuple[int, ...], softmax: bool) -> dict:
    """Test errors: the softmax head's (if it was trained) and k-NN's for each k."""
    out = {}
    if softmax:
        with torch.no_grad():
            logits = torch.cat([net(torch.as_tensor(split.X_test[i : i + 500]))
                                for i in range(0, len(split.X_test), 500)])
        out["softmax"] = float((logits.argmax(1).numpy() != split.y_test).mean())
    tr, te = representations(net, split.X_train), representations(net, split.X_test)
    for k in ks:
        out[f"knn{k}"] = float((knn_predict(tr, split.y_train, te, k) != split.y_test).mean())
    return out


def experiment(datasets: list[str], seeds: list[int], cfg: KnnConfig,
               progress: Progress | None = None) -> dict:
    """Every dataset x seed x loss: test errors, with sizes and the config. JSON-serialisable."""
    rows = []
    for name in datasets:
        split = load_digits(name)
        for seed in seeds:
            for loss in ("softmax", "knn"):
                net = train_net(split, loss, cfg, seed, progress)
                errors = evaluate(net, split, cfg.ks, softmax=loss == "softmax")
                rows.append({"dataset": name, "loss": loss, "seed": seed, "n_train": len(split.y_train),
                             "n_test": len(split.y_test), "errors": errors})
    return {"config": asdict(cfg), "model": "2 conv (16, 32) + fc 128 + rep", "rows": rows,
            "torch": torch.__version__, "nntopo": __version__}


def summary(result: dict) -> list[dict]:
    """Per dataset and loss: mean and spread (min, max) over seeds of every error."""
    out = []
    keys = sorted({(r["dataset"], r["loss"]) for r in result["rows"]},
                  key=lambda k: (k[0], k[1] != "softmax"))
    for dataset, loss in keys:
        rows = [r for r in result["rows"] if r["dataset"] == dataset and r["loss"] == loss]
        cols = {}
        for name in rows[0]["errors"]:
            v = np.array([r["errors"][name] for r in rows])
            cols[name] = {"mean": float(v.mean()), "min": float(v.min()), "max": float(v.max())}
        out.append({"dataset": dataset, "loss": loss, "seeds": [r["seed"] for r in rows],
                    "n_train": rows[0]["n_train"], "n_test": rows[0]["n_test"], "errors": cols})
    return out


def markdown(result: dict) -> str:
    """The summary as a Markdown table: test error in %, mean over seeds [min-max]."""
    s = summary(result)
    ks = result["config"]["ks"]
    head = ["dataset", "trained with", "seeds", "train/test", "softmax"] + [f"k-NN k={k}" for k in ks]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

    def cell(c):
        if c is None:
            return "-"
        return f"{100 * c['mean']:.2f} [{100 * c['min']:.2f}-{100 * c['max']:.2f}]"

    for r in s:
        row = [r["dataset"], "softmax" if r["loss"] == "softmax" else "k-NN loss",
               ",".join(map(str, r["seeds"])), f"{r['n_train']}/{r['n_test']}", cell(r["errors"].get("softmax"))]
        row += [cell(r["errors"][f"knn{k}"]) for k in ks]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"
