"""Command line: `backprop-lab serve` runs the server, `backprop-lab train` trains headless."""

from __future__ import annotations

import argparse
import csv
import dataclasses
import functools
import json
import logging
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from app import __version__, cli_export
from app.cli_where import ROOM_MAX_SESSIONS, Where, where_text
from app.schemas.config import SessionConfig, merge_config
from app.schemas.messages import describe_validation_error, replace_non_finite
from app.settings import DATA_DIR_ENV, EXECUTORS, Settings

EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `backprop-lab` console script and of `python -m app`."""
    parser = argparse.ArgumentParser(prog="backprop-lab", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the page on HOST:PORT")
    serve.add_argument(
        "--host", help="address to bind (default 127.0.0.1; with --room 0.0.0.0, the LAN)"
    )
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    serve.add_argument("--open", action="store_true", help="open the page in the default browser")
    serve.add_argument(
        "--room",
        action="store_true",
        help="a workshop room: serve the LAN, attendees join with a code (see README)",
    )
    serve.add_argument(
        "--data-dir",
        type=Path,
        help=f"where runs are kept (default ${DATA_DIR_ENV}, else the per-user data folder)",
    )

    serve.add_argument(
        "--workers",
        type=int,
        help="worker processes that train sessions, one core each (default: the cores, or "
        "$BACKPROP_LAB_WORKERS; 0 trains in threads of the server process); with --executor "
        "ray, the actors (default: one per CPU of the cluster)",
    )
    serve.add_argument(
        "--max-sessions",
        type=int,
        help=f"sessions at once, each a browser tab (default 16; with --room {ROOM_MAX_SESSIONS})",
    )
    serve.add_argument(
        "--executor",
        choices=EXECUTORS,
        help="where sessions train: process (worker processes, the default, or "
        "$BACKPROP_LAB_EXECUTOR), thread (threads of the server process) or ray (actors on a "
        "Ray cluster; needs backprop-lab[cluster])",
    )
    serve.add_argument(
        "--ray-address",
        help="with --executor ray: auto (the cluster this machine joined with `ray start`; the "
        "default, or $BACKPROP_LAB_RAY_ADDRESS), ray://HOST:PORT, or local (a Ray instance "
        "started for this server, one CPU per worker)",
    )
    train = commands.add_parser("train", help="train without a server and write per-epoch metrics")
    source = train.add_mutually_exclusive_group(required=True)
    source.add_argument("--preset", help="a preset id (see GET /api/presets)")
    source.add_argument("--config", type=Path, help="a JSON file with a (partial) session config")
    train.add_argument("--epochs", type=int, default=100, help="epochs to train (default 100)")
    train.add_argument("--seed", type=int, help="override training.seed")
    train.add_argument("--out", type=Path, help="write metrics to FILE.csv or FILE.json")
    train.add_argument("--quiet", action="store_true", help="no progress bar")

    cli_export.add_parser(commands)

    args = parser.parse_args(argv)
    if args.command == "export":
        return cli_export.run(args)
    if args.command == "serve":
        host = args.host or ("0.0.0.0" if args.room else "127.0.0.1")
        where = Where(args.workers, args.executor, args.ray_address, args.max_sessions)
        return _serve(host, args.port, args.log_level, args.data_dir, args.open, args.room, where)
    return _train(args)


def _serve(
    host: str,
    port: int,
    log_level: str,
    data_dir: Path | None,
    open_browser: bool,
    room: bool = False,
    where: Where | None = None,
) -> int:
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from app.launch import AnnouncingServer
    from app.main import MissingAssets, create_app
    from app.training.executors import ExecutorUnavailable
    from app.web.redact import RedactSecrets, logging_config

    try:
        settings = (where or Where()).applied(Settings(host=host, port=port, room=room))
    except ValueError as exc:  # a bad $BACKPROP_LAB_WORKERS, a flag that cannot work
        sys.stderr.write(f"backprop-lab: {exc}\n")
        return 2
    if data_dir is not None:
        settings = dataclasses.replace(settings, data_dir=data_dir)
    try:
        app = create_app(settings)
        _connect(app.state.executor)
    except (MissingAssets, ExecutorUnavailable) as exc:
        sys.stderr.write(f"backprop-lab: {exc}\n")
        return 1
    stored_in = settings.data_dir or "none (runs are kept in memory only)"
    if settings.data_dir is not None:
        try:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            sys.stderr.write(f"backprop-lab: cannot create the data directory: {exc}\n")
            return 1
    sys.stdout.write(
        f"Backprop Lab {__version__}, data directory {stored_in}, {where_text(settings)}\n"
    )
    sys.stdout.flush()
    logging.basicConfig(level=log_level.upper())
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactSecrets())
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        log_config=logging_config(LOGGING_CONFIG),  # tokens travel in the websocket URL
        ws="websockets-sansio",  # the implementation with send backpressure (uvicorn >= 0.54)
        ws_max_size=settings.ws_transport_max_bytes,
        # Compression runs on the event loop: deflating one 2 MB hello stalled it for 150 ms.
        ws_per_message_deflate=False,
    )
    greet = opens = None
    if room:  # the greeting prints both links; --open opens the instructor's
        from app.web.room_app import greeting, instructor_url

        greet = functools.partial(greeting, app, host)
        opens = functools.partial(instructor_url, app, host)
    AnnouncingServer(config, open_browser=open_browser, greeting=greet, open_url=opens).run()
    return 0


def _connect(executor: Any) -> None:
    """Join the executor's cluster now, before the server runs (a clear error, not a traceback
    from the server's startup; Ray's signal handlers set before the server's own)."""
    connect = getattr(executor, "connect", None)
    if connect is not None:
        connect()


def _load_config(args: argparse.Namespace) -> SessionConfig:
    from app.training.presets import PRESETS, preset_config

    if args.preset is not None:
        if args.preset not in PRESETS:
            raise SystemExit(
                f"backprop-lab: unknown preset {args.preset!r}; "
                f"expected one of: {', '.join(PRESETS)}"
            )
        config = preset_config(args.preset)
    else:
        try:
            patch = json.loads(args.config.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SystemExit(f"backprop-lab: cannot read {args.config}: {exc}") from None
        if not isinstance(patch, dict):
            raise SystemExit(
                f"backprop-lab: {args.config} must hold a JSON object, got {type(patch).__name__}"
            )
        config = _merged(SessionConfig(), patch, "invalid config")
    if args.seed is not None:
        config = _merged(config, {"training": {"seed": args.seed}}, "invalid --seed")
    return config


def _merged(config: SessionConfig, patch: dict[str, Any], what: str) -> SessionConfig:
    try:
        return merge_config(config, patch)
    except ValidationError as exc:
        raise SystemExit(f"backprop-lab: {what}: {describe_validation_error(exc)}") from None


def _train(args: argparse.Namespace) -> int:
    from threadpoolctl import threadpool_limits

    from app.training.detectors import chance_loss
    from app.training.diagnoses import Diagnoser
    from app.training.run import ConfigError, Run

    if args.epochs < 1:
        raise SystemExit("backprop-lab: --epochs must be at least 1")
    if args.out is not None and args.out.suffix not in (".csv", ".json"):
        raise SystemExit(f"backprop-lab: --out must end in .csv or .json, got {args.out}")
    if args.out is not None and not args.out.parent.is_dir():
        raise SystemExit(f"backprop-lab: --out folder {args.out.parent} does not exist")
    config = _load_config(args)
    with threadpool_limits(limits=1):
        try:
            run = Run(config)
        except (ConfigError, ValueError) as exc:
            raise SystemExit(f"backprop-lab: {exc}") from None
        records = []
        diagnoser = Diagnoser(config, chance_loss(run.data.task, run.data.y_train))
        started = time.perf_counter()
        for _ in range(args.epochs):
            record = run.train_epoch()
            record.pop("histograms", None)
            records.append(record)
            diagnoser.update([record])
            if not args.quiet:
                for diagnosis in diagnoser.raised:  # on its own line, above the progress bar
                    sys.stderr.write(f"\r\033[K{diagnosis.describe()}\n")
                _progress(sys.stderr, record, args.epochs, time.perf_counter() - started)
            if not math.isfinite(record["train_loss"]) or record.get("stopped"):
                break
    if not args.quiet:
        sys.stderr.write("\n")
    if args.out is not None:
        try:
            write_metrics(args.out, config, records)
        except OSError as exc:
            raise SystemExit(f"backprop-lab: cannot write {args.out}: {exc}") from None
    last = records[-1]
    sys.stdout.write(
        f"epoch {last['epoch']}: train loss {_fig(last['train_loss'], 4)}, "
        f"val loss {_fig(last['val_loss'], 4)}, "
        f"train acc {_fig(last['train_acc'], 3)}, val acc {_fig(last['val_acc'], 3)}\n"
    )
    return 0


def _fig(value: float | None, digits: int) -> str:
    """A figure with `digits` decimals; "n/a" for one not measured (eval_every skips val)."""
    return "n/a" if value is None else f"{value:.{digits}f}"


def _progress(out: TextIO, record: dict[str, Any], total: int, elapsed: float) -> None:
    done = record["epoch"]
    width = 30
    filled = int(width * min(done, total) / total)
    bar = "#" * filled + "-" * (width - filled)
    rate = done / elapsed if elapsed > 0 else 0.0
    out.write(
        f"\r[{bar}] {done}/{total} epochs  loss {_fig(record['train_loss'], 4)}  "
        f"val {_fig(record['val_loss'], 4)}  {rate:,.0f} epochs/s"
    )
    out.flush()


def write_metrics(path: Path, config: SessionConfig, records: list[dict[str, Any]]) -> None:
    """Write per-epoch metrics as JSON ({config, epochs}) or CSV (one row per epoch)."""
    if path.suffix == ".json":
        payload = {"config": config.model_dump(), "epochs": records}
        path.write_text(json.dumps(replace_non_finite(payload), indent=1), encoding="utf-8")
        return
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        scalars = [
            key
            for key, value in records[0].items()
            if key != "layers" and not isinstance(value, dict | list)
        ]
        layer_keys = [key for key in records[0]["layers"][0] if key != "name"]
        header = list(scalars)
        for layer in records[0]["layers"]:
            header += [f"{layer['name']}.{key}" for key in layer_keys]
        writer.writerow(header)
        for record in records:
            row = [record[key] for key in scalars]
            for layer in record["layers"]:
                row += [layer[key] for key in layer_keys]
            writer.writerow(["" if value is None else value for value in row])


if __name__ == "__main__":
    sys.exit(main())
