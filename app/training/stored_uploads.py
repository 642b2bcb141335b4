"""Uploads that survive restarts: the CSV bytes go to the store, and come back parsed on demand."""

from __future__ import annotations

import logging
from collections.abc import Collection

from app.data import CsvError, Table, parse_csv
from app.store import RunStore
from app.training.uploads import Upload, UploadStore

log = logging.getLogger(__name__)


def parse_task(table: Table) -> str:
    """The `task` argument of parse_csv that gives this table's task back."""
    return "regression" if table.task == "regression" else "classification"


class StoredUploads(UploadStore):
    """An UploadStore whose entries are also written to the run store, and read back if evicted."""

    def __init__(self, store: RunStore) -> None:
        super().__init__()
        self.store = store

    def add(self, owner: str, filename: str, table: Table, held: Collection[str] = ()) -> Upload:
        """Keep the upload in memory and its CSV bytes in the store."""
        upload = super().add(owner, filename, table, held)
        self.store.save_upload(
            upload.id, upload.filename, table.target, parse_task(table), table.source
        )
        return upload

    def get(self, upload_id: str) -> Upload | None:
        """The upload from memory, or parsed again from the store (e.g. after a restart)."""
        upload = super().get(upload_id)
        if upload is not None:
            return upload
        stored = self.store.upload(upload_id)
        if stored is None:
            return None
        try:
            table = parse_csv(stored["data"], stored["target"], stored["task"])
        except CsvError as exc:
            log.warning("stored upload %s no longer parses: %s", upload_id, exc)
            return None
        # Its owner's session ended with the server: nobody lists it, whoever has the id uses it.
        upload = Upload(id=upload_id, owner="", filename=stored["filename"], table=table)
        with self._lock:
            self._items[upload_id] = upload
        return upload
