"""Uploaded datasets, in memory for the server's lifetime, each owned by the session that sent it.

Bounded in count and bytes overall and per owner. An upload's id is a capability: whoever knows
it may train on it (a shared link carries it), but only its owner sees it listed, and a new
upload may evict only its owner's own uploads or ones no live session holds.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass

from app.data import Table

MAX_UPLOADS = 32
MAX_UPLOADS_PER_OWNER = 4
MAX_UPLOAD_BYTES_TOTAL = 64 * 1024 * 1024


class UploadsFull(Exception):
    """Every upload that could make room belongs to another live session."""


@dataclass(frozen=True)
class Upload:
    """A parsed CSV the user sent, with the name they gave it and the session that sent it."""

    id: str
    owner: str
    filename: str
    table: Table

    @property
    def nbytes(self) -> int:
        """Memory held by the parsed arrays."""
        return int(self.table.x.nbytes + self.table.y.nbytes)


class UploadStore:
    """Uploads by id, oldest first; eviction spares what other live sessions hold."""

    def __init__(
        self,
        max_count: int = MAX_UPLOADS,
        max_bytes: int = MAX_UPLOAD_BYTES_TOTAL,
        per_owner: int = MAX_UPLOADS_PER_OWNER,
    ) -> None:
        self._items: OrderedDict[str, Upload] = OrderedDict()
        self._lock = threading.Lock()
        self.max_count = max_count
        self.max_bytes = max_bytes
        self.per_owner = per_owner

    def add(self, owner: str, filename: str, table: Table, held: Collection[str] = ()) -> Upload:
        """Store a table for `owner`; `held` are ids live sessions own or use (kept if possible).

        Raises UploadsFull when room could only be made by evicting another live session's upload.
        """
        upload = Upload(secrets.token_urlsafe(12), owner, filename[:200], table)
        with self._lock:
            self._items[upload.id] = upload
            own = [u for u in self._items.values() if u.owner == owner and u is not upload]
            for old in own[: max(0, len(own) + 1 - self.per_owner)]:
                del self._items[old.id]
            while self._over_limits():
                victim = self._victim(upload, held)
                if victim is None:
                    del self._items[upload.id]
                    raise UploadsFull(
                        f"the server already holds {len(self._items)} uploads of other sessions "
                        f"({self._total_bytes():,} bytes); retry later or upload a smaller file"
                    )
                del self._items[victim.id]
        return upload

    def get(self, upload_id: str) -> Upload | None:
        """The upload with this id, or None when unknown or evicted."""
        with self._lock:
            upload = self._items.get(upload_id)
            if upload is not None:
                self._items.move_to_end(upload_id)
            return upload

    def owned_by(self, owner: str) -> list[Upload]:
        """The uploads `owner` sent, oldest first."""
        with self._lock:
            return [u for u in self._items.values() if u.owner == owner]

    def _over_limits(self) -> bool:
        count = len(self._items)
        return count > self.max_count or (count > 1 and self._total_bytes() > self.max_bytes)

    def _victim(self, new: Upload, held: Collection[str]) -> Upload | None:
        """The oldest upload nobody holds, else the uploader's own oldest, else None."""
        candidates = [u for u in self._items.values() if u is not new]
        orphan = next((u for u in candidates if u.id not in held), None)
        return orphan or next((u for u in candidates if u.owner == new.owner), None)

    def _total_bytes(self) -> int:
        return sum(item.nbytes for item in self._items.values())
