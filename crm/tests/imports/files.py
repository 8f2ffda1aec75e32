"""Helpers of the import tests: read bytes as a file, a file generated as it is read."""

import io

from crm.imports.readers import inspect, read_records


def read(data, *, name="contacts.csv", mapping=None):
    """Return the FileInfo and the records of a file holding ``data`` (bytes)."""
    stream = io.BytesIO(data)
    info = inspect(stream, name=name)
    return info, list(read_records(stream, info, mapping=mapping))


class GeneratedFile(io.RawIOBase):
    """
    A seekable binary file of ``size`` bytes that is never held: ``head``,
    then ``filler`` repeated, then ``tail``; made as it is read.
    """

    def __init__(self, size, *, head=b"", filler=b"a", tail=b""):
        self.size, self.head, self.filler, self.tail = size, head, filler, tail
        self.position = 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def tell(self):
        return self.position

    def _byte_range(self, start, end):
        out = bytearray()
        body_end = self.size - len(self.tail)
        if start < len(self.head):
            out += self.head[start : min(end, len(self.head))]
        filler_start, filler_end = max(start, len(self.head)), min(end, body_end)
        if filler_end > filler_start:
            offset = (filler_start - len(self.head)) % len(self.filler)
            count = filler_end - filler_start
            repeated = self.filler * (count // len(self.filler) + 2)
            out += repeated[offset : offset + count]
        if end > body_end:
            out += self.tail[max(start, body_end) - body_end : end - body_end]
        return bytes(out)

    def readinto(self, buffer):
        end = min(self.size, self.position + len(buffer))
        data = self._byte_range(self.position, end)
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)
