"""Sessions' Runs in Ray actors: the worker pool of process.py, spread over a Ray cluster.

Placement mirrors ProcessExecutor: a fixed set of actors, one CPU and one BLAS thread each (one
per CPU of the cluster unless `--workers N` says N), spread over the nodes; each actor is a
`SessionsActor` hosting several sessions' Runs with a worker process's scheduler, and a new
session goes to the actor hosting the fewest. One actor per session would cost a Python process
per attendee (107 MiB each, measured) and leave the turns to the OS: 16 sessions in 16 actors on
2 cores trained 650 epochs/s in all, against 1,118 in 2 actors (bench.loadtest, scaling).
Requests are ObjectRefs awaited on the event loop (bulky ones are submitted from a thread), so
nothing blocks it. An actor that dies (ray.kill, its process killed, its node lost)
fails its sessions' requests with WorkerLost: they reopen on another actor from their last
checkpoint, a fresh actor takes its place, and the other actors' sessions never notice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from app.settings import cores
from app.training.executors.messages import OpenSpec, RemoteError, View, WorkerLost
from app.training.executors.process import QUICK_DEATH_SECONDS, QUICK_DEATHS
from app.training.executors.ray_actor import SessionsActor
from app.training.executors.ray_cluster import (
    RayUnavailable,
    import_ray,
    join,
    lost_reason,
)
from app.training.run import Run

log = logging.getLogger(__name__)

ONE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
READY_SECONDS = 60.0  # actors not running within this long: the cluster has no room for them
UNAVAILABLE_RETRY_SECONDS = 1.0  # an actor unreachable for now is watched again this soon
BULKY_CALLS = frozenset({"apply"})  # may carry an uploaded table: submitted off the event loop


class Slot:
    """One actor and what the web process knows of it."""

    def __init__(self, pool: RayExecutor, index: int, handle: Any, quick_deaths: int = 0) -> None:
        self.pool = pool
        self.index = index
        self.handle = handle
        self.quick_deaths = quick_deaths  # of the actors that had this slot before
        self.started = time.monotonic()
        self.sessions: set[str] = set()
        self.where: dict[str, Any] = {}  # pid, node, ip, version (from ready())
        self.alive = True
        self.stopping = False
        self.reason = ""
        self.settled = asyncio.Event()  # set once the actor runs (`where` known) or failed to
        self._watch = asyncio.ensure_future(self._follow())

    @property
    def pid(self) -> int | None:
        """The actor's process id, once it answered."""
        pid = self.where.get("pid")
        return None if pid is None else int(pid)

    async def request(self, kind: str, session: str, payload: Any, bulky: bool = False) -> Any:
        """A request; its answer, the host's error, or WorkerLost."""
        if not self.alive:
            raise WorkerLost(self.reason)
        ray = import_ray()
        submit = self.handle.request.remote
        try:
            if bulky:  # pickling a table or a checkpoint takes a while: not on the event loop
                ref = await asyncio.to_thread(submit, kind, session, payload)
            else:
                ref = submit(kind, session, payload)
            ok, value = await ref
        except ray.exceptions.RayError as exc:
            raise self.lost(exc) from None
        if ok:
            return value
        raise value.exception() if isinstance(value, RemoteError) else RuntimeError(value)

    def post(self, kind: str, session: str) -> None:
        """A message that needs no answer (hurry, close)."""
        if self.alive:
            self.handle.post.options(num_returns=0).remote(kind, session)

    def lost(self, exc: Exception) -> WorkerLost:
        """A request failed: if the actor died, mark it and have a fresh one take its place."""
        ray = import_ray()
        reason = lost_reason(exc, self.where)
        if not isinstance(exc, ray.exceptions.ActorDiedError):  # unavailable for now, or Ray's
            return WorkerLost(reason)
        if self.alive:
            self.alive, self.reason = False, reason
            if not self.stopping:
                log.error("Ray actor %s (%s) stopped: %s", self.index, self.where, reason)
                self.pool.replace(self)
        return WorkerLost(reason)

    async def _follow(self) -> None:
        """Learn where the actor runs, then wait on it: its death ends the wait."""
        ray = import_ray()
        try:
            self.where = await self.handle.ready.remote()
            self.settled.set()
            while self.alive:
                try:
                    await self.handle.until_stopped.remote()
                except ray.exceptions.ActorUnavailableError:  # for now: it may come back
                    await asyncio.sleep(UNAVAILABLE_RETRY_SECONDS)
        except ray.exceptions.RayError as exc:
            self.lost(exc)
        finally:
            self.settled.set()

    async def stop(self) -> None:
        """Kill the actor (its Runs were closed, or are lost with the server)."""
        self.stopping = True
        ray = import_ray()
        with contextlib.suppress(Exception):  # already dead, or the cluster went away
            await asyncio.to_thread(ray.kill, self.handle, no_restart=True)
        self._watch.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._watch


class RayRuntime:
    """One session's handle on its Run in a Ray actor."""

    def __init__(self, pool: RayExecutor, session_id: str) -> None:
        self.pool = pool
        self.session_id = session_id
        self.slot: Slot | None = None

    @property
    def local_run(self) -> Run | None:
        """Never here: the Run lives in an actor."""
        return None

    async def open(self, spec: OpenSpec) -> View:
        """Build the Run in the actor hosting the fewest sessions."""
        if self.slot is not None:
            self.slot.sessions.discard(self.session_id)
        self.slot = slot = self.pool.least_loaded()
        slot.sessions.add(self.session_id)
        view: View = await slot.request("open", self.session_id, spec, bulky=True)
        return view

    async def call(self, method: str, *args: Any) -> Any:
        """A request to the actor hosting this session's Run."""
        if self.slot is None:
            raise RuntimeError("the runtime was not opened")
        payload = (method, args)
        return await self.slot.request("call", self.session_id, payload, method in BULKY_CALLS)

    def hurry(self) -> None:
        """Answer this session's queued slice now, untrained: a command waits."""
        if self.slot is not None:
            self.slot.post("hurry", self.session_id)

    async def close(self) -> None:
        """Forget the Run in its actor."""
        if self.slot is not None:
            self.slot.post("close", self.session_id)
            self.slot.sessions.discard(self.session_id)
            self.slot = None


class RayExecutor:
    """A fixed set of Ray actors, one CPU each, each hosting several sessions' Runs."""

    def __init__(self, address: str = "auto", actors: int = 0) -> None:
        self.address = address  # "auto", "ray://HOST:PORT", a GCS HOST:PORT, or LOCAL
        self.requested = actors  # 0: one actor per CPU of the cluster
        self.size = 0  # the actors, once joined
        self.slots: list[Slot] = []
        self._joined = False
        self._owns_ray = False  # this executor joined Ray (or started it) and leaves it at stop
        self._place = f"Ray at {address}"  # in words, once joined
        self._actor_class: Any = None
        import_ray()  # fail now, at `serve`, with the hint, rather than at the first session

    def runtime(self, session_id: str) -> RayRuntime:
        """A runtime for a new session."""
        return RayRuntime(self, session_id)

    def connect(self) -> None:
        """Join the cluster (or start the local one): from the CLI's main thread before the
        server runs, else at start."""
        if self._joined:
            return
        place = join(self.address, self.requested or cores())
        self._joined = True
        self._owns_ray = place is not None
        ray = import_ray()
        if place is None:  # this process had joined Ray already (a test's own instance)
            place = f"Ray cluster at {ray.get_runtime_context().gcs_address}"
        self._place = place
        cpus = int(ray.cluster_resources().get("CPU", 0))
        self.size = self.requested or cpus
        if not 1 <= self.size <= cpus:
            if self._owns_ray:
                ray.shutdown()
            self._joined = self._owns_ray = False
            wanted = f"{self.size} actors of one CPU each" if self.size else "one actor"
            raise RayUnavailable(f"{place} has {cpus} CPUs: too few for {wanted}")

    async def start(self) -> None:
        """Start the actors (from the server's lifespan) and wait until each runs."""
        await asyncio.to_thread(self.connect)
        size = self.size
        self.slots = slots = [Slot(self, i, self._new_actor()) for i in range(size)]
        waits = asyncio.gather(*(s.settled.wait() for s in slots))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(waits, READY_SECONDS)
        failed = next((s for s in slots if not s.alive or not s.where), None)
        if failed is not None:
            await self.stop()
            why = failed.reason or f"none was running after {READY_SECONDS:.0f} s"
            raise RayUnavailable(f"{self._place} did not start {size} actors: {why}")
        from app import __version__

        for slot in slots:
            if slot.where["version"] != __version__:
                await self.stop()
                raise RayUnavailable(
                    f"the node at {slot.where['ip']} runs backprop-lab {slot.where['version']}, "
                    f"this server {__version__}: install the same version on every machine"
                )

    def _new_actor(self) -> Any:
        if self._actor_class is None:
            self._actor_class = import_ray().remote(SessionsActor)
        env = dict.fromkeys(ONE_THREAD, "1")
        return self._actor_class.options(
            num_cpus=1,
            max_restarts=0,  # a restarted actor would have lost its Runs: sessions reopen instead
            scheduling_strategy="SPREAD",
            runtime_env={"env_vars": env},
        ).remote()

    def least_loaded(self) -> Slot:
        """The live actor hosting the fewest sessions."""
        live = [s for s in self.slots if s.alive]
        if not live:
            raise WorkerLost("no Ray actor is running")
        return min(live, key=lambda s: len(s.sessions))

    def replace(self, dead: Slot) -> None:
        """Start a fresh actor where a dead one was (unless actors there die as they start)."""
        if dead not in self.slots:
            return
        quick = time.monotonic() - dead.started < QUICK_DEATH_SECONDS
        deaths = dead.quick_deaths + 1 if quick else 0
        if deaths >= QUICK_DEATHS:
            log.error("Ray actor %s died %d times as it started; not again", dead.index, deaths)
            return
        fresh = Slot(self, dead.index, self._new_actor(), deaths)
        self.slots[self.slots.index(dead)] = fresh

    async def stop(self) -> None:
        """Kill every actor, and leave Ray (stopping it if it was started here)."""
        slots, self.slots = self.slots, []
        await asyncio.gather(*(s.stop() for s in slots))
        if self._owns_ray:
            self._owns_ray = self._joined = False
            await asyncio.to_thread(import_ray().shutdown)

    def describe(self) -> str:
        """Where sessions train, in a few words (GET /api/health)."""
        live = [s for s in self.slots if s.alive]
        nodes = {s.where.get("node") for s in live if s.where}
        actors = f"{len(live)} actor{'s' if len(live) != 1 else ''}"
        machines = f"{len(nodes)} node{'s' if len(nodes) != 1 else ''}"
        return f"training in {self._place}: {actors} on {machines}"
