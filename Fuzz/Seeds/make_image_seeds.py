#!/usr/bin/env python3
"""Writes the hand-made FuzzImage seeds that the fixture images lack (run from anywhere; stdlib only).

The fixture copies in FuzzImage/ carry no EXIF, no RGBA or 16-bit colour PNG, no transparency chunk and no
over-limit header, so a campaign from them alone never reached exif.c, Image.applyingOrientation, the
RGBA/tRNS paths of png.c or the TOO_LARGE branches of hm_check_dimensions (coverage run of 2026-12-02).
"""
import pathlib
import struct
import zlib

here = pathlib.Path(__file__).resolve().parent / "FuzzImage"


def exif_app1(orientation, big_endian, extra_tags=0):
    """An APP1 segment: "Exif\\0\\0", a TIFF header and IFD0 with `extra_tags` other tags before Orientation."""
    order = ">" if big_endian else "<"
    tiff = (b"MM" if big_endian else b"II") + struct.pack(order + "HI", 42, 8)
    entries = [struct.pack(order + "HHII", 0x0100 + i, 4, 1, 64) for i in range(extra_tags)]
    entries.append(struct.pack(order + "HHIHH", 0x0112, 3, 1, orientation, 0))
    tiff += struct.pack(order + "H", len(entries)) + b"".join(entries) + struct.pack(order + "I", 0)
    payload = b"Exif\0\0" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def with_app1(jpeg, segment):
    assert jpeg[:2] == b"\xff\xd8"
    return jpeg[:2] + segment + jpeg[2:]


def png(width, height, colour_type, bit_depth, rows, extra_chunks=()):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    raw = b"".join(b"\0" + row for row in rows)
    body = b"".join(chunk(kind, data) for kind, data in extra_chunks)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + body + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def write(name, data):
    (here / name).write_bytes(data)
    print(f"{name}: {len(data)} bytes")


grey = (here / "grey.jpg").read_bytes()
baseline = (here / "baseline.jpg").read_bytes()
write("exif-6-le.jpg", with_app1(grey, exif_app1(6, big_endian=False)))
write("exif-3-be.jpg", with_app1(grey, exif_app1(3, big_endian=True, extra_tags=2)))
write("exif-8-le-colour.jpg", with_app1(baseline, exif_app1(8, big_endian=False, extra_tags=1)))

size = 8
write("rgba-8x8.png", png(size, size, 6, 8, [b"".join(bytes((x * 32, y * 32, 128, (x + y) * 16)) for x in range(size))
                                              for y in range(size)]))
write("rgba16-4x4.png", png(4, 4, 6, 16, [b"".join(struct.pack(">HHHH", x * 16000, y * 16000, 30000, 65535 - x * 9000)
                                                    for x in range(4)) for y in range(4)]))
write("grey2-trns-8x4.png", png(8, 4, 0, 2, [bytes((0b00011011, 0b11100100)) for _ in range(4)],
                                [(b"tRNS", struct.pack(">H", 2))]))
write("palette4-trns-4x4.png", png(4, 4, 3, 4, [bytes((0x01, 0x23)) for _ in range(4)],
                                   [(b"PLTE", bytes(range(0, 48))), (b"tRNS", bytes((0, 128, 255)))]))
write("too-wide-5000x1.png", png(5000, 1, 0, 8, [bytes(5000)]))
