"""Joining a Ray cluster for the Ray executor: Ray imported only when asked for, and errors that
say what to do rather than tracebacks."""

from __future__ import annotations

import re
import signal
import threading
from typing import Any

from app.training.executors import ExecutorUnavailable

LOCAL = "local"  # --ray-address local: a Ray instance of this machine's, started and stopped here
NAMESPACE = "backprop-lab"
LOCAL_OBJECT_STORE_BYTES = 100 * 1024 * 1024  # answers are small; checkpoints pass through
AUTO_HINT = (
    "\n(auto joins the cluster this machine is part of: start one with `ray start --head`, or "
    "pass --ray-address local for a Ray of the server's own)"
)
INSTALL_HINT = "install backprop-lab[cluster] (pip install 'backprop-lab[cluster]')"


class RayUnavailable(ExecutorUnavailable):
    """Ray is not installed, or no cluster could run the actors; the message says which."""


def import_ray() -> Any:
    """The ray module, or RayUnavailable saying how to install it."""
    try:
        import ray
    except ImportError:
        raise RayUnavailable(f"--executor ray needs Ray: {INSTALL_HINT}") from None
    return ray


def join(address: str, cpus: int) -> str | None:
    """Join the cluster at `address` ("auto", "ray://HOST:PORT", HOST:PORT), or for LOCAL start
    one of `cpus` CPUs here; where it is, in words, or None if this process had joined Ray
    already (whoever did leaves it). Ray's SIGTERM handler is undone: the server's stays."""
    ray = import_ray()
    if ray.is_initialized():
        return None
    main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGTERM) if main else None
    try:
        if address == LOCAL:
            ray.init(
                address=LOCAL,  # a new instance even if `ray start` or $RAY_ADDRESS names one
                num_cpus=cpus,
                object_store_memory=LOCAL_OBJECT_STORE_BYTES,
                include_dashboard=False,
                log_to_driver=False,
                namespace=NAMESPACE,
            )
        else:
            ray.init(address=address, log_to_driver=False, namespace=NAMESPACE)
    except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError ...
        hint = AUTO_HINT if address == "auto" else ""
        raise RayUnavailable(f"cannot start Ray at --ray-address {address}: {exc}{hint}") from None
    finally:
        if main and previous is not None:
            signal.signal(signal.SIGTERM, previous)
    if address == LOCAL:
        return "a local Ray instance"
    if "://" in address:
        return f"Ray cluster at {address}"
    return f"Ray cluster at {ray.get_runtime_context().gcs_address}"


def lost_reason(exc: Exception, where: dict[str, Any]) -> str:
    """Why an actor's request failed, in a few words (Ray's own message is a page long)."""
    text = str(exc)
    found = re.search(r"The actor is dead because (.+?)\.(?:\s|$)", text)
    if found:
        cause = found.group(1).replace("`", "")
    elif getattr(exc, "actor_init_failed", False):  # the last line names the error
        cause = "it could not start: " + text.strip().splitlines()[-1].strip()
    else:
        cause = type(exc).__name__
    at = f", pid {where['pid']} on {where['ip']}" if where else ""
    return f"Ray actor{at}: {cause}"
