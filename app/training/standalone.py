"""The training program of the `script` export: NumPy only, copied verbatim into the script.

It repeats the engine's arithmetic operation for operation (same dtype, same parameter layout in
one flat vector, same products and reductions, same random streams), so on the same machine it
prints the engine's numbers. `app/training/export_script.py` prepends the run's CONFIG and a
`load_data()`; nothing here may import `app`. Read `app/engine` for the why of each step.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# <placeholders> (the script defines these two with the run's config and data)
CONFIG: dict[str, Any] = {}


def load_data() -> tuple[Any, Any, Any, Any, str, int]:
    """(x_train, y_train, x_val, y_val, task, n_outputs)."""
    raise NotImplementedError


# </placeholders>


def aligned(shape: Any, dtype: Any, fill: float = 0.0) -> Any:
    """A filled array starting on a 64-byte boundary, as the engine allocates its buffers."""
    dt = np.dtype(dtype)
    count = int(np.prod(shape))
    raw = np.empty(count * dt.itemsize + 64, dtype=np.uint8)
    start = -raw.ctypes.data % 64
    out = raw[start : start + count * dt.itemsize].view(dt).reshape(shape)
    out.fill(fill)
    return out


# ---- activations: forward a = f(z) (aux kept for backward), backward dz = da * f'(z) ----------


def sigmoid(z: Any) -> Any:
    """0.5 tanh(z / 2) + 0.5, which never overflows."""
    out = np.tanh(z * 0.5)
    out *= 0.5
    out += 0.5
    return out


def act_forward(name: str, z: Any) -> tuple[Any, Any]:
    """(a, aux) for activation `name`."""
    if name == "relu":
        return np.maximum(z, 0.0), None
    if name == "leaky_relu":
        return np.maximum(z, z * 0.01), None
    if name == "tanh":
        return np.tanh(z), None
    if name == "sigmoid":
        return sigmoid(z), None
    if name == "elu":
        return np.maximum(z, np.expm1(np.minimum(z, 0.0))), None
    if name == "softplus":
        return np.logaddexp(0.0, z), None
    if name in ("swish", "silu"):
        s = sigmoid(z)
        return z * s, s
    if name == "gelu":
        c = math.sqrt(2.0 / math.pi)
        t = z * z
        t *= c * 0.044715
        t += c
        t *= z
        np.tanh(t, t)
        a = t + 1.0
        a *= z
        a *= 0.5
        return a, t
    return z, None  # linear


def act_backward(name: str, z: Any, a: Any, aux: Any, da: Any) -> Any:
    """dz = da * f'(z), in the engine's order of operations."""
    if name == "relu":
        dz = np.greater(a, 0.0).astype(a.dtype)
    elif name == "leaky_relu":
        dz = np.greater(z, 0.0).astype(z.dtype)
        dz *= 1.0 - 0.01
        dz += 0.01
    elif name == "tanh":
        dz = 1.0 - a * a
    elif name == "sigmoid":
        dz = 1.0 - a
        dz *= a
    elif name == "elu":
        dz = np.minimum(a, 0.0)
        dz += 1.0
    elif name == "softplus":
        dz = sigmoid(z)
    elif name in ("swish", "silu"):
        dz = 1.0 - aux
        dz *= z
        dz += 1.0
        dz *= aux
    elif name == "gelu":
        c = math.sqrt(2.0 / math.pi)
        dz = z * z
        dz *= 3.0 * c * 0.044715
        dz += c
        dz *= z
        dz *= 0.5
        dz *= 1.0 - aux * aux
        tmp = aux + 1.0
        tmp *= 0.5
        dz += tmp
    else:
        return da
    dz *= da
    return dz


# ---- losses: the output activation folded in ----------------------------------------------------


def targets(task: str, y: Any, n_outputs: int, dtype: Any) -> Any:
    """Targets in the loss's working form: a float column, or one-hot rows."""
    if task == "multiclass":
        t = np.zeros((len(y), n_outputs), dtype=dtype)
        t[np.arange(len(y)), np.asarray(y, dtype=np.int64)] = 1.0
        return t
    return np.ascontiguousarray(np.asarray(y, dtype=dtype).reshape(-1, 1))


def loss_grad(task: str, z: Any, t: Any) -> Any:
    """dL/dz averaged over the batch's rows."""
    n = z.shape[0]
    if task == "binary":
        out = sigmoid(z)
        out -= t
        out *= 1.0 / n
        return out
    if task == "regression":
        out = z - t
        out *= 2.0 / n
        return out
    ones_k = np.ones((z.shape[1], 1), dtype=z.dtype)
    e = np.exp(z - np.max(z))
    s = np.dot(e, ones_k)
    if not np.min(s) > float(np.finfo(z.dtype).tiny) * 1e8:  # a row underflowed: per-row shift
        e = np.exp(z - np.max(z, axis=1, keepdims=True))
        s = np.dot(e, ones_k)
    e /= s
    e -= t
    e *= 1.0 / n
    return e


def evaluate(task: str, z: Any, t: Any) -> tuple[float, float]:
    """(mean loss, accuracy) or (MSE, R²) over all rows."""
    n = z.shape[0]
    if task == "binary":
        zz, y = z.reshape(-1), t.reshape(-1)
        s = np.multiply(y, -2.0, dtype=zz.dtype)
        s += 1.0
        s *= zz
        np.logaddexp(0.0, s, s)
        hits = np.count_nonzero(np.equal(zz > 0.0, y > 0.5))
        return float(s.sum(dtype=np.float64)) / n, float(hits) / n
    if task == "regression":
        diff = (z - t).reshape(-1)
        ss_res = float(np.dot(diff, diff))
        tc = t.reshape(-1).astype(np.float64)
        tc -= tc.mean()
        ss_tot = float(np.dot(tc, tc))
        r2 = (1.0 if ss_res == 0.0 else 0.0) if ss_tot == 0.0 else 1.0 - ss_res / ss_tot
        return ss_res / n, r2
    k = z.shape[1]
    ones_k, ones_1k = np.ones((k, 1), dtype=z.dtype), np.ones((1, k), dtype=z.dtype)
    m = np.max(z, axis=1).reshape(-1, 1)
    picked = np.dot(z * t, ones_k)  # z[y] per row
    hits = np.count_nonzero(picked[:, 0] >= m[:, 0])
    e = np.exp(z - np.dot(m, ones_1k))
    e *= 1.0 - t
    b = np.dot(e, ones_k)  # the other columns' exp(z - m)
    a = np.exp(picked - m)
    a -= 1.0
    a += b
    np.log1p(a, a)
    loss = m - picked
    loss += a  # (m - z[y]) + log(sum exp(z - m))
    return float(loss.sum(dtype=np.float64)) / n, float(hits) / n


# ---- the model: every parameter a view into one flat vector, laid out as the engine's ----------


class Model:
    """Dense layers (W0 last among the weights, so [W0; b0] is one matrix), batch norm, dropout."""

    def __init__(self, n_in: int, n_out: int, task: str, rng: Any) -> None:
        cfg = CONFIG["model"]
        self.dt = dt = np.dtype(cfg["dtype"])
        self.task = task
        self.hidden = cfg["layers"]
        sizes = [n_in, *(h["units"] for h in self.hidden), n_out]
        self.n_dense = L = len(sizes) - 1
        w_sizes = [sizes[i] * sizes[i + 1] for i in range(L)]
        bn_units = [h["units"] for h in self.hidden if h["batch_norm"]]
        self.n_weights = sum(w_sizes)
        P = self.n_weights + sum(sizes[1:]) + 2 * sum(bn_units)
        self.theta, self.grad = aligned(P, dt), aligned(P, dt)
        self.state = np.zeros(2 * sum(bn_units), dtype=dt)  # BN running means and variances
        pos, w_sl = 0, [slice(0)] * L
        for i in [*range(1, L), 0]:
            w_sl[i], pos = slice(pos, pos + w_sizes[i]), pos + w_sizes[i]
        b_sl = []
        for i in range(L):
            b_sl.append(slice(pos, pos + sizes[i + 1]))
            pos += sizes[i + 1]
        self.W = [self.theta[w_sl[i]].reshape(sizes[i], sizes[i + 1]) for i in range(L)]
        self.gW = [self.grad[w_sl[i]].reshape(sizes[i], sizes[i + 1]) for i in range(L)]
        self.b = [self.theta[s] for s in b_sl]
        self.gb = [self.grad[s] for s in b_sl]
        self.W_aug = self.theta[w_sl[0].start : b_sl[0].stop].reshape(n_in + 1, sizes[1])
        self.g_aug = self.grad[w_sl[0].start : b_sl[0].stop].reshape(n_in + 1, sizes[1])
        for i in range(L):
            W = INIT[cfg["init"]](rng, sizes[i], sizes[i + 1], cfg["init_scale"])  # float64
            self.theta[w_sl[i]] = W.ravel()
        self.drop_rng = np.random.default_rng(int(rng.integers(2**63)))  # dropout's own stream
        self.bn: list[dict[str, Any] | None] = []
        state = 0
        for h in self.hidden:
            if not h["batch_norm"]:
                self.bn.append(None)
                continue
            u = h["units"]
            gamma, beta = slice(pos, pos + u), slice(pos + u, pos + 2 * u)
            pos += 2 * u
            self.theta[gamma] = 1.0
            bn = {
                "gamma": self.theta[gamma],
                "beta": self.theta[beta],
                "dgamma": self.grad[gamma],
                "dbeta": self.grad[beta],
                "mean": self.state[state : state + u],
                "var": self.state[state + u : state + 2 * u],
            }
            bn["var"][:] = 1.0
            state += 2 * u
            self.bn.append(bn)

    def forward(self, x1: Any, training: bool) -> Any:
        """Logits for x1 = [x | 1]; training uses batch statistics and dropout, and keeps a tape."""
        self.tape: list[Any] = [x1]
        z = np.dot(x1, self.W_aug)
        for i, h in enumerate(self.hidden):
            bn = self.bn[i]
            if bn is not None:
                z = batch_norm_forward(bn, z, training, self.tape)
            a, aux = act_forward(h["activation"], z)
            self.tape.append((z, a, aux))
            if training and h["dropout"] > 0.0:
                mask = self.drop_rng.random(a.shape, dtype=self.dt.type)
                mask = np.greater_equal(mask, h["dropout"]).astype(self.dt)
                mask *= 1.0 / (1.0 - h["dropout"])
                a = a * mask
                self.tape.append(mask)
            else:
                self.tape.append(None)
            self.tape.append(a)
            z = np.dot(a, self.W[i + 1])
            z += self.b[i + 1]
        return z

    def backward(self, d: Any) -> None:
        """Fill `grad` from dL/dlogits, after a training forward."""
        tape = self.tape
        for i in range(self.n_dense - 1, 0, -1):
            x, mask, (z, a, aux) = tape.pop(), tape.pop(), tape.pop()
            np.dot(x.T, d, self.gW[i])
            np.dot(np.ones(x.shape[0], dtype=self.dt), d, self.gb[i])
            d = np.dot(d, self.W[i].T)
            if mask is not None:
                d = d * mask
            d = act_backward(self.hidden[i - 1]["activation"], z, a, aux, d)
            bn = self.bn[i - 1]
            if bn is not None:
                d = batch_norm_backward(bn, d, tape.pop())
        np.dot(tape.pop().T, d, self.g_aug)  # [dW0; db0] = [x | 1]ᵀ dz


def batch_norm_forward(bn: dict[str, Any], x: Any, training: bool, tape: list[Any]) -> Any:
    """y = gamma (x - mu) / sqrt(var + eps) + beta; training updates the running statistics."""
    n, eps, momentum = x.shape[0], 1e-5, 0.9
    if not training:
        scale = np.sqrt(bn["var"] + eps)
        scale = np.divide(bn["gamma"], scale)
        shift = bn["beta"] - bn["mean"] * scale
        out = x * scale
        out += shift
        return out
    ones = np.ones(n, dtype=x.dtype)
    if n == 1:  # one row has no batch statistics: normalise with the running ones
        inv = np.divide(1.0, np.sqrt(bn["var"] + eps))
        xhat = x - bn["mean"]
        xhat *= inv
    else:
        mu = np.dot(ones, x)
        mu *= 1.0 / n
        xhat = x - mu
        var = np.dot(ones, xhat * xhat)
        var *= 1.0 / n
        bn["mean"] *= momentum
        bn["mean"] += mu * (1.0 - momentum)
        bn["var"] *= momentum
        v = var * (1.0 - momentum)
        v *= n / (n - 1)
        bn["var"] += v
        inv = np.divide(1.0, np.sqrt(var + eps))
        xhat *= inv
    tape.append((xhat, inv, ones, n))
    out = xhat * bn["gamma"]
    out += bn["beta"]
    return out


def batch_norm_backward(bn: dict[str, Any], dout: Any, saved: Any) -> Any:
    """dx = gamma / sqrt(var + eps) (dy - mean(dy) - xhat mean(dy xhat)); fills dgamma, dbeta."""
    xhat, inv, ones, n = saved
    np.dot(ones, dout, bn["dbeta"])
    np.dot(ones, dout * xhat, bn["dgamma"])
    if n == 1:
        return dout * (inv * bn["gamma"])
    dx = xhat * (bn["dgamma"] * (1.0 / n))
    dx += bn["dbeta"] * (1.0 / n)
    dx = dout - dx
    dx *= inv * bn["gamma"]
    return dx


# ---- initialisers, optimisers, clipping, schedule ---------------------------------------------


INIT: dict[str, Any] = {}  # the script adds the engine's initialiser that the run uses


class Optimizer:
    """The engine's optimisers on the flat parameter vector (moments stored rescaled likewise)."""

    def __init__(self, theta: Any, n_weights: int) -> None:
        t = CONFIG["training"]
        self.name, self.t, self.n_weights = t["optimizer"], 0, n_weights
        self.mu = t["momentum"] if self.name in ("sgd", "rmsprop") else 0.0
        self.nesterov, self.rho, self.eps = t["nesterov"], t["rho"], t["eps"]
        self.b1, self.b2, self.wd = t["beta1"], t["beta2"], t["weight_decay"]
        self.a, self.b = np.zeros_like(theta), np.zeros_like(theta)

    def step(self, p: Any, g: Any, lr: float) -> None:
        """p -= the update for gradient g."""
        self.t += 1
        a, b, name = self.a, self.b, self.name
        if name == "sgd":
            if self.mu == 0.0:
                u = g * lr
            else:
                a *= self.mu
                a += g
                u = a * self.mu + g if self.nesterov else a.copy()
                u *= lr
        elif name == "rmsprop":
            k = math.sqrt(1.0 - self.rho)
            a *= self.rho
            a += g * g  # S = rho S + g²
            u = np.sqrt(a)
            u += self.eps / k
            u = np.divide(g, u)
            if self.mu != 0.0:
                b *= self.mu
                b += u
                u = b * (lr / k)
            else:
                u *= lr / k
        elif name == "adagrad":
            a += g * g
            u = np.sqrt(a)
            u += self.eps
            u = np.divide(g, u)
            u *= lr
        else:  # adam, adamw: M = b1 M + g, V = b2 V + g²
            a *= self.b1
            a += g
            b *= self.b2
            b += g * g
            c = math.sqrt((1.0 - self.b2) / (1.0 - self.b2**self.t))
            u = np.sqrt(b)
            u += self.eps / c
            u = np.divide(a, u)
            u *= lr * (1.0 - self.b1) / ((1.0 - self.b1**self.t) * c)
            if name == "adamw" and self.wd != 0.0:
                p[: self.n_weights] *= 1.0 - lr * self.wd
        p -= u


def clip(grad: Any) -> None:
    """Clip by value, then by global L2 norm, in place."""
    t = CONFIG["training"]
    if t["clip_value"] is not None:
        np.clip(grad, -t["clip_value"], t["clip_value"], out=grad)
    if t["clip_norm"] is not None:
        norm = math.sqrt(float(np.vdot(grad, grad)))
        big = float(np.max(np.abs(grad))) if not math.isfinite(norm) else 0.0
        if big and math.isfinite(big):  # g² overflowed float32 though every g is finite
            scaled = grad.astype(np.float64) / big
            norm = big * math.sqrt(float(np.vdot(scaled, scaled)))
        if norm > t["clip_norm"] and math.isfinite(norm):
            scale = t["clip_norm"] / norm
            if scale < 1e-30:
                grad *= math.sqrt(scale)
                grad *= math.sqrt(scale)
            else:
                grad *= scale


class Schedule:
    """Learning rate per epoch (warm-up, then constant/step/exponential/cosine/plateau)."""

    def __init__(self) -> None:
        self.spec = CONFIG["training"]["schedule"]
        self.scale, self.best, self.bad = 1.0, math.inf, 0

    def lr(self, epoch: int, base: float) -> float:
        """The rate of 0-based `epoch`."""
        s, warm = self.spec, self.spec["warmup_epochs"]
        if epoch < warm:
            return base * (epoch + 1) / (warm + 1)
        k, kind, floor = epoch - warm, s["kind"], min(s["min_lr"], base)
        if kind == "constant":
            return float(base)
        if kind == "cosine":
            frac = min(k, s["period"]) / s["period"]
            return floor + (base - floor) * 0.5 * (1.0 + math.cos(math.pi * frac))
        if kind == "step":
            rate = base * s["gamma"] ** (k // s["step_size"])
        elif kind == "exponential":
            rate = base * s["gamma"] ** k
        else:
            rate = base * self.scale
        return max(rate, floor)

    def observe(self, loss: float) -> None:
        """The plateau schedule watches the monitored loss."""
        if self.spec["kind"] != "plateau":
            return
        if loss < self.best * (1.0 - self.spec["threshold"]):
            self.best, self.bad = float(loss), 0
            return
        self.bad += 1
        if self.bad >= self.spec["patience"]:
            self.scale *= self.spec["factor"]
            self.bad = 0


# ---- the training loop -------------------------------------------------------------------------


def augment(x: Any, dtype: Any) -> Any:
    """[x | 1] in the model's dtype: the first layer adds its bias inside the product."""
    out = aligned((x.shape[0], x.shape[1] + 1), dtype)
    np.copyto(out[:, :-1], x, casting="unsafe")
    out[:, -1] = 1.0
    return out


def train(epochs: int) -> list[dict[str, Any]]:
    """Train `epochs` epochs (fewer if early stopping stops it), printing one line per epoch."""
    x_train, y_train, x_val, y_val, task, n_outputs = load_data()
    t = CONFIG["training"]
    seed = t["seed"]
    model = Model(x_train.shape[1], n_outputs, task, np.random.default_rng([seed, 0]))
    rng = np.random.default_rng([seed, 1])  # the shuffles
    dt = model.dt
    xa, ta = augment(x_train, dt), targets(task, y_train, n_outputs, dt)
    xv, tv = augment(x_val, dt), targets(task, y_val, n_outputs, dt)
    opt, schedule = Optimizer(model.theta, model.n_weights), Schedule()
    es = t["early_stopping"] if t["early_stopping"]["enabled"] else None
    best: dict[str, Any] = {"epoch": -1, "loss": math.inf, "wait": 0}
    n, nw = xa.shape[0], model.n_weights
    bs = min(t["batch_size"], n)
    score = "r2" if task == "regression" else "acc"
    print(f"epoch  train_loss  val_loss  train_{score}  val_{score}  lr")
    records = []
    with np.errstate(all="ignore"):
        for epoch in range(1, epochs + 1):
            lr = float(schedule.lr(epoch - 1, t["learning_rate"]))
            perm = rng.permutation(n)
            xs, ts = np.take(xa, perm, axis=0), np.take(ta, perm, axis=0)
            for start in range(0, n, bs):
                xb, tb = xs[start : start + bs], ts[start : start + bs]
                model.backward(loss_grad(task, model.forward(xb, True), tb))
                if t["l1"]:
                    model.grad[:nw] += np.sign(model.theta[:nw]) * t["l1"]
                if t["l2"]:
                    model.grad[:nw] += model.theta[:nw] * t["l2"]
                clip(model.grad)
                opt.step(model.theta, model.grad, lr)
            train_loss, train_score = evaluate(task, model.forward(xa, False), ta)
            val_loss, val_score = evaluate(task, model.forward(xv, False), tv)
            record = {
                "epoch": epoch,
                "train_loss": train_loss,
                "val_loss": val_loss,
                f"train_{score}": train_score,
                f"val_{score}": val_score,
                "lr": lr,
            }
            records.append(record)
            print(epoch, *(repr(float(v)) for v in list(record.values())[1:]), flush=True)
            schedule.observe(val_loss)
            if es is not None and early_stop(es, best, epoch, val_loss, model):
                print(f"early stopping after epoch {epoch} (best epoch {best['epoch']})")
                break
    return records


def early_stop(es: dict[str, Any], best: dict[str, Any], epoch: int, loss: float,
               model: Model) -> bool:  # fmt: skip
    """Track the best validation loss; True (after restoring the best weights) to stop."""
    if math.isfinite(loss) and (best["epoch"] < 0 or loss < best["loss"] - es["min_delta"]):
        best.update(epoch=epoch, loss=float(loss), wait=0, theta=model.theta.copy(),
                    state=model.state.copy())  # fmt: skip
        return False
    best["wait"] += 1
    if best["wait"] < es["patience"]:
        return False
    if es["restore_best"] and "theta" in best:
        np.copyto(model.theta, best["theta"])
        np.copyto(model.state, best["state"])
    return True
