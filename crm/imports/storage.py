"""
The uploaded file, kept in the database as numbered chunks of at most 1 MiB.

The site runs as several app servers over one PostgreSQL: the server that
received a chunk may not be the one whose worker reads the file, so the file
lives where every server sees it. A chunk is as big as one upload request
may carry (the deployed servers cap a request body at 2 MiB).

``open_file()`` reads the chunks back as one seekable binary stream, a chunk
at a time: the readers stream a 50 MiB file with about 1 MiB of it in memory.
"""

import bisect
import io

from django.db.models.functions import Length

from ..models import Import, ImportChunk

CHUNK_BYTES = 1024 * 1024


def chunk_sizes(import_run: Import) -> list[tuple[int, int]]:
    """Return ``(number, bytes)`` of the import's chunks in order, without reading their data."""
    return list(
        ImportChunk.objects.filter(import_run=import_run)
        .order_by("number")
        .values_list("number", Length("data"))
    )


class ChunkedFile(io.RawIOBase):
    """
    A read-only, seekable view of an import's chunks as one file.

    It knows each chunk's place (one query when opened) and fetches a chunk's
    data when a read reaches it, keeping only that one.
    """

    def __init__(self, import_run: Import):
        super().__init__()
        self._import_id = import_run.pk
        self._numbers, self._starts = [], []
        end = 0
        for number, size in chunk_sizes(import_run):
            self._numbers.append(number)
            self._starts.append(end)
            end += size or 0
        self._size = end
        self._position = 0
        self._current = None  # (index, data) of the chunk last read

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        self._checkClosed()
        return self._position

    def seek(self, offset, whence=io.SEEK_SET):
        self._checkClosed()
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._position = base + offset
        return self._position

    def readinto(self, buffer):
        self._checkClosed()
        if self._position >= self._size:
            return 0
        index = bisect.bisect_right(self._starts, self._position) - 1
        data = self._chunk(index)
        start = self._position - self._starts[index]
        piece = data[start : start + len(buffer)]
        buffer[: len(piece)] = piece
        self._position += len(piece)
        return len(piece)

    def _chunk(self, index):
        if self._current is None or self._current[0] != index:
            data = ImportChunk.objects.values_list("data", flat=True).get(
                import_run_id=self._import_id, number=self._numbers[index]
            )
            self._current = (index, bytes(data))
        return self._current[1]

    def close(self):
        self._current = None
        super().close()


def open_file(import_run: Import) -> io.BufferedReader:
    """Return the import's uploaded file as a seekable, read-only binary stream."""
    return io.BufferedReader(ChunkedFile(import_run), buffer_size=64 * 1024)
