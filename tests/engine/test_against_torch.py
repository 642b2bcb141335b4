"""An independent check in float64: the engine against PyTorch autograd, torch.optim and torch's
schedulers and clipping, adjusted only for the conventions written in docs/conventions.md."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from app.engine.activations import ACTIVATIONS, LEAKY_SLOPE
from app.engine.clipping import clip_global_norm, clip_value
from app.engine.layers import ActivationLayer, BatchNorm, Dense, Dropout
from app.engine.losses import make_loss
from app.engine.model import LayerSpec, Model, ModelSpec, build_model
from app.engine.optimizers import OptimizerSpec, make_optimizer
from app.engine.regularizers import add_penalty_grad
from app.engine.schedules import ScheduleSpec, make_schedule
from app.engine.trainer import Trainer, TrainSettings

TOL = 1e-10
LRS = torch.optim.lr_scheduler
TorchFn = Callable[[torch.Tensor], torch.Tensor]

TORCH_ACTIVATIONS: dict[str, TorchFn] = {
    "linear": lambda z: z,
    "relu": F.relu,
    "leaky_relu": lambda z: F.leaky_relu(z, LEAKY_SLOPE),
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "elu": F.elu,
    "gelu": lambda z: F.gelu(z, approximate="tanh"),  # the engine's GELU is the tanh form
    "softplus": F.softplus,
    "swish": F.silu,
}


def _t(a: Any, grad: bool = False) -> torch.Tensor:
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


def _np(x: torch.Tensor) -> np.ndarray:
    return x.detach().numpy()


def assert_close(engine: Any, reference: Any, tol: float = TOL) -> None:
    """‖engine - reference‖ <= tol · ‖reference‖ (absolute tol when the reference is 0)."""
    a = np.asarray(engine, dtype=np.float64)
    b = np.asarray(reference, dtype=np.float64)
    assert a.shape == b.shape, (a.shape, b.shape)
    err = float(np.linalg.norm(a - b))
    assert err <= tol * max(float(np.linalg.norm(b)), 1.0), (err, a, b)


def test_every_engine_activation_has_a_torch_reference() -> None:
    assert set(TORCH_ACTIVATIONS) == set(ACTIVATIONS)


@pytest.mark.parametrize("name", sorted(TORCH_ACTIVATIONS))
def test_activation_forward_and_gradient(name: str) -> None:
    rng = np.random.default_rng(1)
    z = rng.normal(0.0, 3.0, size=(16, 5))
    dout = rng.normal(size=z.shape)
    layer = ActivationLayer(name)
    a = layer.forward(z, True).copy()
    dz = layer.backward(dout)
    zt = _t(z, grad=True)
    at = TORCH_ACTIVATIONS[name](zt)
    (at * _t(dout)).sum().backward()
    assert_close(a, _np(at))
    assert zt.grad is not None
    assert_close(dz, _np(zt.grad))


def test_dense_forward_and_gradients() -> None:
    rng = np.random.default_rng(2)
    dense = Dense.create(5, 3)
    dense.W[:] = rng.normal(size=(5, 3))
    dense.b[:] = rng.normal(size=3)
    x, dout = rng.normal(size=(7, 5)), rng.normal(size=(7, 3))
    out = dense.forward(x, True).copy()
    dx = dense.backward(dout)
    xt, wt, bt = _t(x, True), _t(dense.W, True), _t(dense.b, True)
    yt = xt @ wt + bt
    (yt * _t(dout)).sum().backward()
    assert_close(out, _np(yt))
    for engine, ref in ((dx, xt.grad), (dense.gW, wt.grad), (dense.gb, bt.grad)):
        assert ref is not None
        assert_close(engine, _np(ref))


def _batch_norm_pair(rng: np.random.Generator, d: int) -> tuple[BatchNorm, list[torch.Tensor]]:
    bn = BatchNorm.create(d)
    bn.gamma[:] = rng.normal(size=d)
    bn.beta[:] = rng.normal(size=d)
    bn.running_mean[:] = rng.normal(size=d)
    bn.running_var[:] = rng.uniform(0.5, 2.0, size=d)
    ref = [_t(bn.running_mean), _t(bn.running_var), _t(bn.gamma, True), _t(bn.beta, True)]
    return bn, ref


def test_batch_norm_training_step_and_running_statistics() -> None:
    rng = np.random.default_rng(3)
    bn, (rm, rv, gamma, beta) = _batch_norm_pair(rng, 4)
    x, dout = rng.normal(2.0, 3.0, size=(8, 4)), rng.normal(size=(8, 4))
    out = bn.forward(x, True).copy()
    dx = bn.backward(dout)
    xt = _t(x, True)
    # engine momentum 0.9 (share kept by the old running value) is PyTorch's momentum 0.1
    yt = F.batch_norm(xt, rm, rv, gamma, beta, training=True, momentum=1 - bn.momentum, eps=bn.eps)
    (yt * _t(dout)).sum().backward()
    assert_close(out, _np(yt))
    for engine, ref in ((dx, xt.grad), (bn.dgamma, gamma.grad), (bn.dbeta, beta.grad)):
        assert ref is not None
        assert_close(engine, _np(ref))
    assert_close(bn.running_mean, _np(rm))
    assert_close(bn.running_var, _np(rv))
    xe = rng.normal(size=(5, 4))
    ye = F.batch_norm(_t(xe), rm, rv, gamma, beta, training=False, eps=bn.eps)
    assert_close(bn.forward(xe, False), _np(ye))


def test_batch_norm_one_row_batch_is_torchs_evaluation_step() -> None:
    rng = np.random.default_rng(4)
    bn, (rm, rv, gamma, beta) = _batch_norm_pair(rng, 3)
    x, dout = rng.normal(size=(1, 3)), rng.normal(size=(1, 3))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(_t(x), rm.clone(), rv.clone(), gamma, beta, training=True)
    out = bn.forward(x, True).copy()
    dx = bn.backward(dout)
    xt = _t(x, True)
    yt = F.batch_norm(xt, rm, rv, gamma, beta, training=False, eps=bn.eps)
    (yt * _t(dout)).sum().backward()
    assert_close(out, _np(yt))
    for engine, ref in ((dx, xt.grad), (bn.dgamma, gamma.grad), (bn.dbeta, beta.grad)):
        assert ref is not None
        assert_close(engine, _np(ref))
    assert_close(bn.running_mean, _np(rm))
    assert_close(bn.running_var, _np(rv))


def test_dropout_is_inverted_dropout() -> None:
    rng = np.random.default_rng(5)
    drop = Dropout(0.3, np.random.default_rng(6))
    x, dout = rng.normal(size=(50, 6)), rng.normal(size=(50, 6))
    out = drop.forward(x, True).copy()
    dx = drop.backward(dout)
    kept = out != 0.0
    assert 0.5 < kept.mean() < 0.9
    xt = _t(x, True)
    yt = xt * _t(kept) / (1.0 - 0.3)  # torch.nn.Dropout's scaling, with the engine's mask
    (yt * _t(dout)).sum().backward()
    assert_close(out, _np(yt))
    assert xt.grad is not None
    assert_close(dx, _np(xt.grad))


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_loss_value_and_gradient(task: str) -> None:
    rng = np.random.default_rng(7)
    k = 4 if task == "multiclass" else 1
    z = rng.normal(0.0, 4.0, size=(12, k))
    y: np.ndarray
    if task == "multiclass":
        y = rng.integers(0, k, 12)
    elif task == "binary":
        y = (rng.random(12) > 0.5).astype(np.float64)
    else:
        y = rng.normal(size=12)
    value, grad = make_loss(task, k).loss(z, y)
    zt = _t(z, True)
    if task == "binary":
        lt = F.binary_cross_entropy_with_logits(zt[:, 0], _t(y))
    elif task == "multiclass":
        lt = F.cross_entropy(zt, torch.tensor(y))
    else:
        lt = F.mse_loss(zt[:, 0], _t(y))
    lt.backward()
    assert_close(value, lt.item())
    assert zt.grad is not None
    assert_close(grad, _np(zt.grad))


def _torch_forward(model: Model, params: dict[str, torch.Tensor], h: torch.Tensor) -> torch.Tensor:
    """The model's training-mode forward pass in torch, with `params` in place of its arrays."""
    for name, layer in model.layers:
        if isinstance(layer, Dense):
            h = h @ params[f"{name}.W"] + params[f"{name}.b"]
        elif isinstance(layer, BatchNorm):
            gamma, beta = params[f"{name}.gamma"], params[f"{name}.beta"]
            h = F.batch_norm(h, None, None, gamma, beta, training=True, eps=layer.eps)
        elif isinstance(layer, ActivationLayer):
            h = TORCH_ACTIVATIONS[layer.act.name](h)
    return h


def _torch_penalty(params: dict[str, torch.Tensor], l1: float, l2: float) -> torch.Tensor:
    """The engine's regulariser: l1·Σ|W| + l2/2·ΣW² over the Dense weights only."""
    weights = [p for name, p in params.items() if name.endswith(".W")]
    return sum((l1 * w.abs().sum() + 0.5 * l2 * (w * w).sum() for w in weights), _t(0.0))


def test_whole_model_gradients_with_batch_norm_and_l1_l2() -> None:
    """One training step's gradient of every parameter: data loss + l1·Σ|W| + l2/2·ΣW²."""
    rng = np.random.default_rng(8)
    hidden = (
        LayerSpec(7, "relu", batch_norm=True),
        LayerSpec(6, "gelu"),
        LayerSpec(5, "tanh", batch_norm=True),
        LayerSpec(4, "swish"),
    )
    model = build_model(ModelSpec(3, 3, hidden, "multiclass", dtype="float64"), rng)
    model.theta[:] = rng.normal(0.0, 0.7, size=model.theta.shape)  # biases, gamma, beta too
    x, y = rng.normal(size=(9, 3)), rng.integers(0, 3, 9)
    l1, l2 = 1e-3, 1e-2
    loss = model.loss
    logits = model.forward(model.augment(x), True, True)
    model.backward(loss.grad_into(logits, loss.prepare(y), np.empty_like(logits)))
    nw = model.n_weights
    add_penalty_grad(model.grad[:nw], model.theta[:nw], l1, l2)

    params = {name: _t(value, True) for name, value, _ in model.parameters()}
    h = _torch_forward(model, params, _t(x))
    total = F.cross_entropy(h, torch.tensor(y)) + _torch_penalty(params, l1, l2)
    total.backward()
    assert_close(logits, _np(h))
    for name, _, grad in model.parameters():
        ref = params[name].grad
        assert ref is not None, name
        assert_close(grad, _np(ref))


def test_trainer_steps_add_l2_before_clipping_by_norm() -> None:
    """Whole training epochs (one batch each): loss + penalty -> backward -> clip -> SGD step."""
    rng = np.random.default_rng(13)
    hidden = (LayerSpec(6, "tanh", batch_norm=True), LayerSpec(5, "elu"))
    model = build_model(ModelSpec(2, 1, hidden, "binary", dtype="float64"), rng)
    x, y = rng.normal(size=(16, 2)), (rng.random(16) > 0.5).astype(np.float64)
    l2, max_norm = 0.3, 0.05  # the penalty is large and the clip always bites
    settings = TrainSettings(
        learning_rate=0.5, batch_size=16, optimizer=OptimizerSpec("sgd", momentum=0.9),
        l2=l2, clip_norm=max_norm,
    )  # fmt: skip
    params = {name: _t(value.copy(), True) for name, value, _ in model.parameters()}
    trainer = Trainer(model, settings, x, y, x, y, rng, instruments=False)
    opt = torch.optim.SGD(list(params.values()), lr=0.5, momentum=0.9)
    for _ in range(4):
        trainer.run_epoch()
        opt.zero_grad()
        h = _torch_forward(model, params, _t(x))
        loss = F.binary_cross_entropy_with_logits(h[:, 0], _t(y)) + _torch_penalty(
            params, l2=l2, l1=0.0
        )
        loss.backward()
        grads = [p.grad for p in params.values() if p.grad is not None]
        norm = torch.nn.utils.get_total_norm(grads)
        assert norm.item() > max_norm
        for g in grads:
            g.mul_(max_norm / norm)  # the engine's exact factor (see the clipping test)
        opt.step()
    for name, value, _ in model.parameters():
        assert_close(value, _np(params[name]))


OPTIMIZER_CASES: list[tuple[OptimizerSpec, Callable[[list[torch.Tensor]], Any]]] = [
    (OptimizerSpec("sgd"), lambda p: torch.optim.SGD(p, lr=0.1)),
    (OptimizerSpec("sgd", momentum=0.9), lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
    (
        OptimizerSpec("sgd", momentum=0.8, nesterov=True),
        lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.8, nesterov=True),
    ),
    (OptimizerSpec("rmsprop"), lambda p: torch.optim.RMSprop(p, lr=0.1, alpha=0.9, eps=1e-8)),
    (
        OptimizerSpec("rmsprop", momentum=0.5, rho=0.99),
        lambda p: torch.optim.RMSprop(p, lr=0.1, alpha=0.99, eps=1e-8, momentum=0.5),
    ),
    (OptimizerSpec("adagrad"), lambda p: torch.optim.Adagrad(p, lr=0.1, eps=1e-8)),
    (OptimizerSpec("adam"), lambda p: torch.optim.Adam(p, lr=0.1, eps=1e-8)),
    (
        OptimizerSpec("adam", beta1=0.8, beta2=0.99, eps=1e-6),
        lambda p: torch.optim.Adam(p, lr=0.1, betas=(0.8, 0.99), eps=1e-6),
    ),
    (
        OptimizerSpec("adamw", weight_decay=0.05),
        lambda p: torch.optim.AdamW(p, lr=0.1, eps=1e-8, weight_decay=0.05),
    ),
]


@pytest.mark.parametrize("spec,make_torch", OPTIMIZER_CASES, ids=lambda c: getattr(c, "name", ""))
def test_optimizer_steps(spec: OptimizerSpec, make_torch: Callable[..., Any]) -> None:
    rng = np.random.default_rng(9)
    p = rng.normal(size=20)
    pt = _t(p, True)
    opt, opt_t = make_optimizer(spec), make_torch([pt])
    for lr in (0.1, 0.1, 0.05, 0.05, 0.2, 0.01, 0.1, 0.1):
        g = rng.normal(0.0, 10.0 ** rng.uniform(-2, 1), size=20)
        opt.lr = lr
        opt.step({"p": p}, {"p": g})
        for group in opt_t.param_groups:
            group["lr"] = lr
        pt.grad = _t(g)
        opt_t.step()
        assert_close(p, _np(pt))


def test_live_changes_of_rho_and_betas_keep_the_moments() -> None:
    """The engine stores rescaled moments; changing a knob mid-run must match torch's plain ones."""
    rng = np.random.default_rng(10)
    for spec, new, make_torch, knob in (
        (
            OptimizerSpec("rmsprop", momentum=0.3),
            OptimizerSpec("rmsprop", momentum=0.3, rho=0.5),
            lambda q: torch.optim.RMSprop(q, lr=0.05, alpha=0.9, eps=1e-8, momentum=0.3),
            {"alpha": 0.5},
        ),
        (
            OptimizerSpec("adam"),
            OptimizerSpec("adam", beta1=0.5, beta2=0.9),
            lambda q: torch.optim.Adam(q, lr=0.05, eps=1e-8),
            {"betas": (0.5, 0.9)},
        ),
    ):
        p = rng.normal(size=10)
        pt = _t(p, True)
        opt, opt_t = make_optimizer(spec), make_torch([pt])
        opt.lr = 0.05
        for step in range(6):
            if step == 3:
                opt.update_spec(new)
                opt_t.param_groups[0].update(knob)
            g = rng.normal(size=10)
            opt.step({"p": p}, {"p": g})
            pt.grad = _t(g)
            opt_t.step()
            assert_close(p, _np(pt))


@pytest.mark.parametrize("scale", [1e-3, 0.5, 2.0, 1e4])
def test_clip_by_norm_scales_by_max_over_norm(scale: float) -> None:
    rng = np.random.default_rng(11)
    g = rng.normal(size=30) * scale
    gt = _t(g, True)
    gt.grad = _t(g)
    norm_t = torch.nn.utils.clip_grad_norm_([gt], max_norm=1.0).item()
    norm = clip_global_norm(g, 1.0)
    assert_close(norm, norm_t)
    # torch multiplies by max/(‖g‖ + 1e-6) (capped at 1); the engine by exactly max/‖g‖
    torch_factor = min(1.0 / (norm + 1e-6), 1.0)
    engine_factor = min(1.0 / norm, 1.0)
    assert gt.grad is not None
    assert_close(g * torch_factor / engine_factor, _np(gt.grad))
    if norm > 1.0:
        assert abs(float(np.linalg.norm(g)) - 1.0) < 1e-12


def test_clip_by_value() -> None:
    g = np.random.default_rng(12).normal(0.0, 3.0, size=40)
    gt = _t(g, True)
    gt.grad = _t(g)
    torch.nn.utils.clip_grad_value_([gt], clip_value=1.5)
    clip_value(g, 1.5)
    assert gt.grad is not None
    assert_close(g, _np(gt.grad))


def _lrs(spec: ScheduleSpec, epochs: int, base: float = 0.1) -> list[float]:
    schedule = make_schedule(spec)
    return [schedule.lr(e, base) for e in range(epochs)]


def _torch_lrs(make: Callable[[Any], Any], epochs: int, base: float = 0.1) -> list[float]:
    opt = torch.optim.SGD([_t(np.zeros(1), True)], lr=base)
    sched = make(opt)
    out = []
    for _ in range(epochs):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


@pytest.mark.parametrize(
    "spec,make",
    [
        (ScheduleSpec("step", step_size=3, gamma=0.5), lambda o: LRS.StepLR(o, 3, 0.5)),
        (ScheduleSpec("exponential", gamma=0.9), lambda o: LRS.ExponentialLR(o, 0.9)),
        (
            ScheduleSpec("cosine", period=12, min_lr=0.01),
            lambda o: LRS.CosineAnnealingLR(o, T_max=12, eta_min=0.01),
        ),
        (
            ScheduleSpec("constant", warmup_epochs=4),
            lambda o: LRS.LinearLR(o, start_factor=1 / 5, total_iters=4),
        ),
    ],
    ids=["step", "exponential", "cosine", "warmup"],
)  # fmt: skip
def test_schedules(spec: ScheduleSpec, make: Callable[[Any], Any]) -> None:
    assert_close(_lrs(spec, 13), _torch_lrs(make, 13))


def test_cosine_stays_at_its_floor_after_its_period() -> None:
    spec = ScheduleSpec("cosine", period=10, min_lr=0.01)
    engine = _lrs(spec, 25)
    ref = _torch_lrs(lambda o: LRS.CosineAnnealingLR(o, 10, 0.01), 25)
    assert_close(engine[:11], ref[:11])
    assert engine[10:] == [0.01] * 15
    assert min(ref[11:]) > 0.01  # torch's closed form climbs back towards the base rate


@pytest.mark.parametrize("patience", [1, 3])
def test_plateau_patience_p_is_torchs_p_minus_one(patience: int) -> None:
    losses = [1.0, 0.9, 0.9, 0.95, 0.91, 0.92, 0.8, 0.85, 0.85, 0.86, 0.87, 0.9, 0.79, 0.8, 0.8]
    schedule = make_schedule(ScheduleSpec("plateau", patience=patience, factor=0.5))
    opt = torch.optim.SGD([_t(np.zeros(1), True)], lr=0.1)
    ref = LRS.ReduceLROnPlateau(opt, factor=0.5, patience=patience - 1, threshold=1e-4)
    engine, torch_lrs = [], []
    for epoch, value in enumerate(losses):
        engine.append(schedule.lr(epoch, 0.1))
        torch_lrs.append(opt.param_groups[0]["lr"])
        schedule.observe(value)
        ref.step(value)
    assert_close(engine, torch_lrs)
    assert min(engine) < 0.1  # it did reduce
