"""A table file's bytes as the in-memory loader parses them, read a block at a time: the UTF-8
BOM dropped and \r\n turned into \n (a lone \r stays text), so pandas's chunked reader sees
the same bytes as table_read's one call."""

from __future__ import annotations

import codecs
import io
from typing import BinaryIO

BLOCK = 1 << 20


class Lines(io.RawIOBase):
    """`replaced` counts the sequences that are not UTF-8 (pandas replaces each with U+FFFD)."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.first = True
        self.buf = memoryview(b"")
        self.replaced = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")  # a character cut between blocks is whole again

    def readable(self) -> bool:
        return True

    def _fill(self) -> None:
        data = self.fh.read(BLOCK)
        if self.first:
            while len(data) < len(codecs.BOM_UTF8) and (more := self.fh.read(BLOCK)):
                data += more
            data = data.removeprefix(codecs.BOM_UTF8)
            self.first = False
        while data.endswith(b"\r") and (more := self.fh.read(1)):  # a \r\n cut between two blocks
            data += more
        text = self._decoder.decode(data, final=not data)
        if "\ufffd" in text:
            self.replaced += text.count("\ufffd") - data.count("\ufffd".encode())
        self.buf = memoryview(data.replace(b"\r\n", b"\n") if b"\r\n" in data else data)

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        if not len(self.buf):
            self._fill()
        n = min(len(b), len(self.buf))
        b[:n] = self.buf[:n]
        self.buf = self.buf[n:]
        return n


def head(path_fh: BinaryIO, size: int) -> bytes:
    """The first `size` bytes or so of the file as Lines gives them."""
    reader = Lines(path_fh)
    out = bytearray()
    while len(out) < size:
        block = bytearray(BLOCK)
        n = reader.readinto(block)
        if not n:
            break
        out += block[:n]
    return bytes(out)
