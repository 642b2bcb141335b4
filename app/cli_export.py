"""`backprop-lab export RUN_ID --format FORMAT --out PATH`: a stored run as a file.

Formats: csv, json, npz, config, script, png write the file PATH; tensorboard writes the directory
PATH (created; its old `segment-*` event files replaced), which `tensorboard --logdir PATH` opens.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.settings import Settings


def add_parser(commands: Any) -> None:
    """Register the `export` subcommand."""
    from app.training.export import FORMATS

    export = commands.add_parser("export", help=f"write a stored run as {', '.join(FORMATS)}")
    export.add_argument("run_id", help="the run's id (see GET /api/runs)")
    export.add_argument("--format", choices=list(FORMATS), default="csv", help="default csv")
    export.add_argument(
        "--out", type=Path, required=True,
        help="the file to write (tensorboard: the log directory)",
    )  # fmt: skip
    export.add_argument("--data-dir", type=Path, help="where the server stores its runs")


def run(args: argparse.Namespace) -> int:
    """Write the export; errors name what was expected."""
    from app.store import DB_NAME, RunStore
    from app.training.export import ExportError, export_file
    from app.training.export_tensorboard import replace_directory, write_tensorboard

    data_dir = args.data_dir or Settings().data_dir
    if data_dir is None:
        raise SystemExit("backprop-lab: no data directory: pass --data-dir DIR")
    if not args.out.parent.is_dir():
        raise SystemExit(f"backprop-lab: --out folder {args.out.parent} does not exist")
    try:
        store = RunStore(Path(data_dir) / DB_NAME, read_only=True)
    except (FileNotFoundError, RuntimeError) as exc:
        raise SystemExit(f"backprop-lab: {exc}") from None
    try:
        if args.format == "tensorboard":
            if store.get_run(args.run_id) is None:
                raise SystemExit(f"backprop-lab: no run {args.run_id!r}")
            if args.out.exists() and not args.out.is_dir():
                raise SystemExit(f"backprop-lab: --out {args.out} is a file, expected a folder")
            replace_directory(args.out)
            write_tensorboard(store, args.run_id, args.out)
        else:
            export_file(store, args.run_id, args.format, args.out)
    except ExportError as exc:
        raise SystemExit(f"backprop-lab: {exc.message}") from None
    except OSError as exc:
        raise SystemExit(f"backprop-lab: cannot write {args.out}: {exc}") from None
    finally:
        store.close()
    sys.stdout.write(f"wrote run {args.run_id} as {args.format} to {args.out}\n")
    return 0
