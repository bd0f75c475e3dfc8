"""A small numpy MLP on scikit-learn's bundled digits (8x8 images, 10 classes): trains in seconds.

Run it locally (`python main.py`) or as a dlicli task. It reads config.json in its working directory
when present (learning_rate, hidden, epochs, batch_size, seed, l2), prints one line per epoch, and
writes $RESULT_DIR/val_dict_list.json (one {"steps", "accuracy", "loss"} per epoch, as WMLA's HPO
reads it) and the weights to $RESULT_DIR/model.npz. Needs only numpy and scikit-learn.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

DEFAULTS = {"learning_rate": 0.1, "hidden": 64, "epochs": 20, "batch_size": 32, "seed": 0, "l2": 1e-4}


def load_config(path: Path = Path("config.json")) -> dict:
    config = dict(DEFAULTS)
    if path.is_file():
        given = json.loads(path.read_text())
        unknown = sorted(set(given) - set(DEFAULTS))
        if unknown:
            print(f"warning: config.json: ignoring unknown keys {unknown}", file=sys.stderr)
        config.update({k: v for k, v in given.items() if k in DEFAULTS})
    return config


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class MLP:
    """input → hidden (ReLU) → 10 (softmax), trained with plain mini-batch SGD."""

    def __init__(self, n_in: int, hidden: int, n_out: int, rng: np.random.Generator):
        self.w1 = rng.normal(0, np.sqrt(2 / n_in), (n_in, hidden))
        self.b1 = np.zeros(hidden)
        self.w2 = rng.normal(0, np.sqrt(2 / hidden), (hidden, n_out))
        self.b2 = np.zeros(n_out)

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h = np.maximum(0, x @ self.w1 + self.b1)
        return h, softmax(h @ self.w2 + self.b2)

    def loss_and_accuracy(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        _, p = self.forward(x)
        loss = -np.log(p[np.arange(len(y)), y] + 1e-12).mean()
        return float(loss), float((p.argmax(axis=1) == y).mean())

    def step(self, x: np.ndarray, y: np.ndarray, lr: float, l2: float) -> None:
        h, p = self.forward(x)
        grad = p.copy()
        grad[np.arange(len(y)), y] -= 1
        grad /= len(y)
        dw2 = h.T @ grad + l2 * self.w2
        dh = grad @ self.w2.T
        dh[h <= 0] = 0
        dw1 = x.T @ dh + l2 * self.w1
        self.w2 -= lr * dw2
        self.b2 -= lr * grad.sum(axis=0)
        self.w1 -= lr * dw1
        self.b1 -= lr * dh.sum(axis=0)


def main() -> int:
    config = load_config()
    print(f"config: {json.dumps(config, sort_keys=True)}")
    result_dir = Path(os.environ.get("RESULT_DIR", "result"))
    result_dir.mkdir(parents=True, exist_ok=True)
    digits = load_digits()
    x = digits.data / 16.0
    x_train, x_val, y_train, y_val = train_test_split(
        x, digits.target, test_size=0.2, random_state=config["seed"], stratify=digits.target
    )
    rng = np.random.default_rng(config["seed"])
    model = MLP(x.shape[1], int(config["hidden"]), 10, rng)
    history = []
    started = time.monotonic()
    for epoch in range(1, int(config["epochs"]) + 1):
        order = rng.permutation(len(x_train))
        for i in range(0, len(order), int(config["batch_size"])):
            batch = order[i : i + int(config["batch_size"])]
            model.step(x_train[batch], y_train[batch], float(config["learning_rate"]), float(config["l2"]))
        loss, accuracy = model.loss_and_accuracy(x_val, y_val)
        history.append({"steps": epoch, "accuracy": accuracy, "loss": loss})
        print(f"epoch {epoch:3d}/{config['epochs']}  val_loss {loss:.4f}  val_accuracy {accuracy:.4f}", flush=True)
    (result_dir / "val_dict_list.json").write_text(json.dumps(history, indent=1) + "\n")
    np.savez(result_dir / "model.npz", w1=model.w1, b1=model.b1, w2=model.w2, b2=model.b2)
    print(
        f"done in {time.monotonic() - started:.1f} s: val_accuracy {history[-1]['accuracy']:.4f}; "
        f"results in {result_dir}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
