"""Hostile archives, built in moments without compressing what they unpack to."""

from __future__ import annotations

import struct
import zlib

_MB = 1024 * 1024


def deflate_zeros(megabytes: int) -> tuple[bytes, int]:
    """A raw deflate stream of `megabytes` MiB of zeros and its CRC-32: one fully flushed block of 1 MiB, repeated
    (each block compresses alike once the history is reset)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = b"\0" * _MB
    piece = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(megabytes):
        crc = zlib.crc32(block, crc)
    return piece * megabytes + compressor.flush(zlib.Z_FINISH), crc


def one_entry_zip(name: str, data: bytes, crc: int, size: int, method: int = 8) -> bytes:
    """A valid ZIP of one entry whose (compressed) `data` unpacks to `size` bytes."""
    encoded = name.encode()
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc, len(data), size, len(encoded), 0)
    central = struct.pack(
        "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, method, 0, 0x21, crc, len(data), size, len(encoded), 0, 0, 0, 0, 0, 0
    )
    body = local + encoded + data
    directory = central + encoded
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(directory), len(body), 0)
    return body + directory + end


def mimetype_bomb(megabytes: int = 1024) -> bytes:
    """About 1 MB on disk whose `mimetype` entry unpacks to `megabytes` MiB (1 GiB by default)."""
    data, crc = deflate_zeros(megabytes)
    return one_entry_zip("mimetype", data, crc, megabytes * _MB)


def many_entries_zip(entries: int) -> bytes:
    """A ZIP of `entries` empty stored files with short names: a central directory far larger than any document's."""
    locals_, directory = bytearray(), bytearray()
    for n in range(entries):
        name = f"{n:x}".encode()
        offset = len(locals_)
        locals_ += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0x21, 0, 0, 0, len(name), 0) + name
        directory += (
            struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0x21, 0, 0, 0, len(name), 0, 0, 0, 0, 0, offset)
            + name
        )
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, entries & 0xFFFF, entries & 0xFFFF, len(directory), len(locals_), 0
    )
    return bytes(locals_ + directory + end)
