"""The engine's rivals in `python -m bench --compare`: a plain NumPy MLP and a PyTorch CPU MLP.

Both train the same network on the same float32 data the way such code is usually written, and
do the same work per epoch as the engine: shuffle, mini-batch SGD with momentum 0.9 (PyTorch's
update rule), then loss and accuracy in evaluation mode on the training rows the engine evaluates
(`eval_train`, see app.engine.evaluation) and on the whole validation set. Neither measures
per-layer statistics: the engine's instruments are extra work only it does.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

Array = np.ndarray[Any, Any]


def _onehot(y: Array, k: int) -> Array:
    out = np.zeros((y.shape[0], k), dtype=np.float32)
    out[np.arange(y.shape[0]), y.astype(np.int64)] = 1.0
    return out


class NumpyMLP:
    """A plain NumPy MLP (x @ W + b, NumPy ufuncs, new arrays per call): one `epoch()` per call."""

    def __init__(
        self,
        sizes: tuple[int, ...],
        activation: str,
        task: str,
        data: tuple[Array, Array, Array, Array],
        eval_rows: Array | None,
        lr: float,
        batch_size: int,
        seed: int = 0,
    ) -> None:
        rng = np.random.default_rng(seed)
        self.rng = np.random.default_rng(seed + 1)
        gain = 2.0 if activation == "relu" else 1.0
        self.W = [
            (rng.normal(size=(a, b)) * np.sqrt(gain / a)).astype(np.float32)
            for a, b in itertools.pairwise(sizes)
        ]
        self.b = [np.zeros(b, dtype=np.float32) for b in sizes[1:]]
        self.vW = [np.zeros_like(w) for w in self.W]
        self.vb = [np.zeros_like(b) for b in self.b]
        self.relu = activation == "relu"
        self.multiclass = task == "multiclass"
        xt, yt, xv, yv = data
        k = sizes[-1]
        enc = (
            (lambda y: _onehot(y, k))
            if self.multiclass
            else (lambda y: y.reshape(-1, 1).astype(np.float32))
        )
        self.xt, self.tt = xt.astype(np.float32), enc(yt)
        self.xv, self.tv = xv.astype(np.float32), enc(yv)
        rows = np.arange(xt.shape[0]) if eval_rows is None else eval_rows
        self.xe, self.te = self.xt[rows], self.tt[rows]
        self.lr, self.bs = lr, batch_size
        self.pass_metrics = eval_rows is None

    def _act(self, z: Array) -> Array:
        return np.maximum(z, 0.0) if self.relu else np.tanh(z)

    def _forward(self, x: Array) -> tuple[Array, list[Array]]:
        acts = [x]
        for i, (w, b) in enumerate(zip(self.W, self.b, strict=True)):
            z = acts[-1] @ w + b
            acts.append(z if i == len(self.W) - 1 else self._act(z))
        return acts[-1], acts

    def _dlogits(self, z: Array, t: Array) -> Array:
        if self.multiclass:
            e = np.exp(z - z.max(axis=1, keepdims=True))
            p = e / e.sum(axis=1, keepdims=True)
        else:
            p = 1.0 / (1.0 + np.exp(-z))
        return ((p - t) / z.shape[0]).astype(np.float32)

    def _metrics(self, x: Array, t: Array) -> tuple[float, float]:
        return self._scores(self._forward(x)[0], t)

    def _scores(self, z: Array, t: Array) -> tuple[float, float]:
        if self.multiclass:
            m = z.max(axis=1, keepdims=True)
            lse = m[:, 0] + np.log(np.exp(z - m).sum(axis=1))
            loss = float(np.mean(lse - (z * t).sum(axis=1)))
            acc = float(np.mean(z.argmax(axis=1) == t.argmax(axis=1)))
        else:
            loss = float(np.mean(np.logaddexp(0.0, z) - t * z))
            acc = float(np.mean((z > 0) == (t > 0.5)))
        return loss, acc

    def epoch(self) -> tuple[float, float, float, float]:
        """Train one epoch; (train loss, train acc, val loss, val acc) after it."""
        n = self.xt.shape[0]
        perm = self.rng.permutation(n)
        xs, ts = self.xt[perm], self.tt[perm]
        loss_sum = hits = 0.0
        for s in range(0, n, self.bs):
            xb, tb = xs[s : s + self.bs], ts[s : s + self.bs]
            z, acts = self._forward(xb)
            if self.pass_metrics:
                loss, acc = self._scores(z, tb)
                loss_sum += loss * z.shape[0]
                hits += acc * z.shape[0]
            d = self._dlogits(z, tb)
            for i in range(len(self.W) - 1, -1, -1):
                gw, gb = acts[i].T @ d, d.sum(axis=0)
                if i:
                    d = d @ self.W[i].T
                    d = d * (acts[i] > 0) if self.relu else d * (1.0 - acts[i] * acts[i])
                self.vW[i] = 0.9 * self.vW[i] + gw
                self.vb[i] = 0.9 * self.vb[i] + gb
                self.W[i] -= self.lr * self.vW[i]
                self.b[i] -= self.lr * self.vb[i]
        train = (loss_sum / n, hits / n) if self.pass_metrics else self._metrics(self.xe, self.te)
        return (*train, *self._metrics(self.xv, self.tv))


class TorchMLP:
    """The same MLP in PyTorch (nn.Sequential, torch.optim.SGD), one CPU thread."""

    def __init__(
        self,
        sizes: tuple[int, ...],
        activation: str,
        task: str,
        data: tuple[Array, Array, Array, Array],
        eval_rows: Array | None,
        lr: float,
        batch_size: int,
        seed: int = 0,
    ) -> None:
        import torch
        from torch import nn

        torch.set_num_threads(1)
        torch.manual_seed(seed)
        self.torch = torch
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(itertools.pairwise(sizes)):
            layers.append(nn.Linear(a, b))
            if i < len(sizes) - 2:
                layers.append(nn.ReLU() if activation == "relu" else nn.Tanh())
        self.net = nn.Sequential(*layers)
        self.multiclass = task == "multiclass"
        self.loss = nn.CrossEntropyLoss() if self.multiclass else nn.BCEWithLogitsLoss()
        self.opt = torch.optim.SGD(self.net.parameters(), lr=lr, momentum=0.9)
        xt, yt, xv, yv = data

        def target(y: Array) -> Any:
            if self.multiclass:
                return torch.from_numpy(y.astype(np.int64))
            return torch.from_numpy(y.reshape(-1, 1).astype(np.float32))

        self.xt, self.yt = torch.from_numpy(xt.astype(np.float32)), target(yt)
        self.xv, self.yv = torch.from_numpy(xv.astype(np.float32)), target(yv)
        rows = np.arange(xt.shape[0]) if eval_rows is None else eval_rows
        idx = torch.from_numpy(rows.astype(np.int64))
        self.xe, self.ye = self.xt[idx], self.yt[idx]
        self.bs = batch_size
        self.pass_metrics = eval_rows is None
        self.gen = torch.Generator().manual_seed(seed + 1)

    def _hits(self, z: Any, y: Any) -> Any:
        return ((z.argmax(1) == y) if self.multiclass else ((z > 0) == (y > 0.5))).sum()

    def _metrics(self, x: Any, y: Any) -> tuple[float, float]:
        z = self.net(x)
        return float(self.loss(z, y)), float(self._hits(z, y)) / x.shape[0]

    def epoch(self) -> tuple[float, float, float, float]:
        """Train one epoch; (train loss, train acc, val loss, val acc) after it."""
        torch = self.torch
        n = self.xt.shape[0]
        perm = torch.randperm(n, generator=self.gen)
        xs, ys = self.xt[perm], self.yt[perm]
        self.net.train()
        loss_sum = hits = 0.0
        for s in range(0, n, self.bs):
            self.opt.zero_grad()
            z, yb = self.net(xs[s : s + self.bs]), ys[s : s + self.bs]
            loss = self.loss(z, yb)
            loss.backward()
            self.opt.step()
            if self.pass_metrics:
                loss_sum += loss.item() * z.shape[0]
                hits += self._hits(z.detach(), yb).item()
        self.net.eval()
        with torch.no_grad():
            if self.pass_metrics:
                train = (loss_sum / n, hits / n)
            else:
                train = self._metrics(self.xe, self.ye)
            return (*train, *self._metrics(self.xv, self.yv))
