"""Uploaded datasets, kept in memory for the server's lifetime, bounded in count and bytes."""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass

from app.data import Table

MAX_UPLOADS = 32
MAX_UPLOAD_BYTES_TOTAL = 64 * 1024 * 1024


@dataclass(frozen=True)
class Upload:
    """A parsed CSV the user sent, with the name they gave it."""

    id: str
    filename: str
    table: Table

    @property
    def nbytes(self) -> int:
        """Memory held by the parsed arrays."""
        return int(self.table.x.nbytes + self.table.y.nbytes)


class UploadStore:
    """Least-recently-used store of uploads: the oldest go first when a limit is reached."""

    def __init__(
        self, max_count: int = MAX_UPLOADS, max_bytes: int = MAX_UPLOAD_BYTES_TOTAL
    ) -> None:
        self._items: OrderedDict[str, Upload] = OrderedDict()
        self._lock = threading.Lock()
        self.max_count = max_count
        self.max_bytes = max_bytes

    def add(self, filename: str, table: Table) -> Upload:
        """Store a parsed table and return it with its new id."""
        upload = Upload(id=secrets.token_urlsafe(9), filename=filename[:200], table=table)
        with self._lock:
            self._items[upload.id] = upload
            while len(self._items) > self.max_count or (
                len(self._items) > 1 and self._total_bytes() > self.max_bytes
            ):
                self._items.popitem(last=False)
        return upload

    def get(self, upload_id: str) -> Upload | None:
        """The upload with this id, or None when unknown or evicted."""
        with self._lock:
            upload = self._items.get(upload_id)
            if upload is not None:
                self._items.move_to_end(upload_id)
            return upload

    def list(self) -> list[Upload]:
        """All uploads, oldest first."""
        with self._lock:
            return list(self._items.values())

    def _total_bytes(self) -> int:
        return sum(item.nbytes for item in self._items.values())
