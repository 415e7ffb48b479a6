"""Generate hashmatch's own test fixtures: benign synthetic images and their reference hashes.

Run through Scripts/make-fixtures, which pins the tool versions. Every image is drawn from
fixed-seed numpy arithmetic (gradients, shapes, checkerboards, smooth noise; no photographs,
no text) and saved in a different format or mode, so the decoders meet each case once.

expected.csv gets, for each file, what the reference tools say:
  ahash, phash, dhash  imagehash.average_hash / phash / dhash of Image.open(file)
  pdq, pdq_quality     pdqhash.compute(numpy.asarray(Image.open(file).convert('RGB'))),
                       the 256 bits read in pdqhash's order as one big-endian integer

variants/ gets transformed copies of a few of those images (re-encoded, resized, brighter, a
watermark box, mirrored, rotated), the edits a re-upload typically carries; variants.csv names each
one's source and transformation and gives pdqhash's hash and its distance to the source's hash.
"""

import struct
import sys
import zlib
from importlib.metadata import version
from pathlib import Path

import imagehash
import numpy as np
import pdqhash
from PIL import Image, ImageDraw, ImageOps


def grid(h, w):
    return np.mgrid[0:h, 0:w].astype(np.float64)


def smooth_noise(rng, h, w, cells, channels):
    """Random values on a coarse grid, bilinearly interpolated: soft blobs."""
    coarse = rng.uniform(0, 255, (cells + 1, cells + 1, channels))
    ys = np.linspace(0, cells, h)
    xs = np.linspace(0, cells, w)
    y0 = np.minimum(ys.astype(int), cells - 1)
    x0 = np.minimum(xs.astype(int), cells - 1)
    fy = (ys - y0)[:, None, None]
    fx = (xs - x0)[None, :, None]
    top = coarse[y0][:, x0] * (1 - fx) + coarse[y0][:, x0 + 1] * fx
    bottom = coarse[y0 + 1][:, x0] * (1 - fx) + coarse[y0 + 1][:, x0 + 1] * fx
    return top * (1 - fy) + bottom * fy


def disc(h, w, cy, cx, r):
    y, x = grid(h, w)
    return (y - cy) ** 2 + (x - cx) ** 2 < r * r


def box(h, w, y0, x0, y1, x1):
    y, x = grid(h, w)
    return (y >= y0) & (y < y1) & (x >= x0) & (x < x1)


def checker(h, w, size):
    y, x = grid(h, w)
    return ((y // size + x // size) % 2).astype(bool)


def u8(a):
    return np.clip(np.rint(a), 0, 255).astype(np.uint8)


def shapes_rgb(rng, h, w, cells=6):
    """Smooth colour noise with a disc, a box and a checkered corner on top."""
    a = smooth_noise(rng, h, w, cells, 3)
    a[disc(h, w, h * 0.55, w * 0.35, min(h, w) * 0.22)] = (230, 60, 40)
    a[box(h, w, h * 0.15, w * 0.6, h * 0.5, w * 0.9)] = (30, 70, 200)
    corner = box(h, w, h * 0.7, w * 0.7, h, w) & checker(h, w, max(2, min(h, w) // 24))
    a[corner] = (250, 250, 250)
    return u8(a)


def write_interlaced_png(path, rgb):
    """An 8-bit RGB PNG with Adam7 interlacing, which Pillow cannot write itself."""
    h, w, _ = rgb.shape
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    raw = bytearray()
    for x0, y0, dx, dy in passes:
        sub = rgb[y0::dy, x0::dx]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        for row in sub:
            raw += b"\x00" + row.tobytes()

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 1))
    png += chunk(b"IDAT", zlib.compress(bytes(raw), 9))
    png += chunk(b"IEND", b"")
    path.write_bytes(png)
    back = Image.open(path)
    assert back.info.get("interlace") == 1 and np.array_equal(np.asarray(back), rgb), "interlaced PNG round trip"


def make_images(out):
    out.mkdir(parents=True, exist_ok=True)
    made = []

    def save(name, image, **options):
        image.save(out / name, **options)
        made.append(name)

    rng = np.random.default_rng(20240601)

    # PNG, 8-bit RGB: diagonal colour gradient with a disc.
    h, w = 192, 256
    y, x = grid(h, w)
    a = np.stack([x * 255 / (w - 1), y * 255 / (h - 1), 255 - (x + y) * 255 / (w + h - 2)], axis=-1)
    a[disc(h, w, 96, 128, 50)] = (250, 240, 40)
    save("gradient-rgb.png", Image.fromarray(u8(a), "RGB"))

    # PNG, 8-bit grey (L): shapes on a vertical gradient.
    h, w = 150, 200
    y, x = grid(h, w)
    a = 40 + y * 0.8
    a[box(h, w, 20, 20, 80, 90)] = 235
    a[disc(h, w, 95, 140, 40)] = 120
    a[np.abs((x - y) - 30) < 4] = 10
    save("shapes-grey.png", Image.fromarray(u8(a), "L"))

    # PNG, palette (P): eight flat colours.
    h, w = 120, 160
    index = np.zeros((h, w), np.uint8)
    index[box(h, w, 0, 0, h, w / 2)] = 1
    index[disc(h, w, 60, 50, 35)] = 2
    index[disc(h, w, 60, 110, 30)] = 3
    index[box(h, w, 10, 120, 40, 155)] = 4
    index[checker(h, w, 10) & box(h, w, 85, 90, 120, 160)] = 5
    index[box(h, w, 100, 5, 115, 60)] = 6
    index[np.abs(grid(h, w)[1] - 2 * grid(h, w)[0]) < 3] = 7
    palette = [20, 20, 30, 200, 180, 150, 220, 40, 40, 40, 160, 60, 50, 60, 210, 250, 250, 250, 90, 20, 120, 255, 200, 0]
    image = Image.frombytes("P", (w, h), index.tobytes())
    image.putpalette(palette)
    save("palette.png", image)

    # PNG, RGBA: colour shapes under a radial alpha ramp (the hashes ignore alpha).
    h, w = 180, 180
    y, x = grid(h, w)
    rgba = np.dstack([shapes_rgb(rng, h, w), u8(255 - np.hypot(y - 90, x - 90) * 2)])
    save("shapes-rgba.png", Image.fromarray(rgba, "RGBA"))

    # PNG, grey + alpha (LA).
    h, w = 90, 120
    y, x = grid(h, w)
    grey = 60 + 150 * checker(h, w, 15) + y * 0.3
    alpha = np.where(disc(h, w, 45, 60, 35), 255, 90)
    save("grey-alpha.png", Image.fromarray(np.dstack([u8(grey), u8(alpha)]), "LA"))

    # PNG, 16-bit grey (I;16): values 0..~700, so Pillow's convert('L') clamps part of it to 255.
    h, w = 96, 128
    y, x = grid(h, w)
    a16 = (x * 4 + y * 2).astype(np.uint16)
    a16[disc(h, w, 48, 64, 25)] = 100
    image = Image.fromarray(a16)
    save("grey16.png", image)
    assert Image.open(out / "grey16.png").mode == "I;16"

    # PNG, interlaced (Adam7), odd size so every pass has ragged edges.
    write_interlaced_png(out / "interlaced-rgb.png", shapes_rgb(rng, 61, 97))
    made.append("interlaced-rgb.png")

    # JPEG: baseline, progressive, greyscale, CMYK, one larger image.
    save("baseline.jpg", Image.fromarray(shapes_rgb(rng, 240, 320), "RGB"), quality=90)
    save("progressive.jpg", Image.fromarray(shapes_rgb(rng, 200, 300), "RGB"), quality=85, progressive=True)
    h, w = 180, 240
    save("grey.jpg", Image.fromarray(u8(smooth_noise(rng, h, w, 5, 1)[..., 0] * 0.6 + 90 * checker(h, w, 30)), "L"))
    save("cmyk.jpg", Image.fromarray(shapes_rgb(rng, 160, 200), "RGB").convert("CMYK"), quality=90)
    assert Image.open(out / "cmyk.jpg").mode == "CMYK"
    save("large-1024x768.jpg", Image.fromarray(shapes_rgb(rng, 768, 1024, cells=10), "RGB"), quality=85)

    # Degenerate sizes and a symmetric pattern (pHash coefficients tie exactly on it).
    save("pixel-1x1.png", Image.fromarray(np.array([[[200, 120, 40]]], np.uint8), "RGB"))
    save("tiny-5x5.png", Image.fromarray(u8(np.dstack([grid(5, 5)[1] * 60, grid(5, 5)[0] * 60, 128 * checker(5, 5, 1)])), "RGB"))
    save("checkerboard.png", Image.fromarray(u8(checker(64, 64, 8) * 255), "L"))
    return made


# The sources of the variants, and how each variant is made. Every step is plain Pillow arithmetic
# (no randomness), so the files are byte-for-byte reproducible with the pinned versions.
VARIANT_SOURCES = ["large-1024x768.jpg", "baseline.jpg", "gradient-rgb.png"]


def watermark(image):
    """A small opaque box in the bottom-right corner: a white label with a dark frame."""
    image = image.copy()
    w, h = image.size
    bw, bh = max(8, w // 8), max(6, h // 12)
    x1, y1 = w - max(2, w // 40), h - max(2, h // 40)
    ImageDraw.Draw(image).rectangle([x1 - bw, y1 - bh, x1, y1], fill=(245, 245, 245), outline=(20, 20, 20), width=2)
    return image


def gamma(image, value):
    lut = [round(255 * (i / 255) ** value) for i in range(256)]
    return image.point(lut * len(image.getbands()))


VARIANTS = [
    # (name suffix, transformation, whether the result is re-encoded at quality 50)
    ("q50", lambda im: im, True),
    ("half", lambda im: im.resize((im.width // 2, im.height // 2), Image.LANCZOS), False),
    ("gamma0.7", lambda im: gamma(im, 0.7), False),
    ("watermark", watermark, False),
    ("mirror", ImageOps.mirror, False),
    ("rot90", lambda im: im.transpose(Image.Transpose.ROTATE_90), False),
]


def make_variants(images, out):
    """Transformed copies of VARIANT_SOURCES: JPEG sources stay JPEG (quality 75, or 50 for q50),
    PNG sources stay PNG (q50 becomes a JPEG). Returns (file, source, transformation) rows."""
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.iterdir():
        stale.unlink()
    made = []
    for source in VARIANT_SOURCES:
        original = Image.open(images / source).convert("RGB")
        stem, extension = source.rsplit(".", 1)
        for suffix, transform, q50 in VARIANTS:
            image = transform(original)
            if q50 or extension == "jpg":
                name = f"{stem}.{suffix}.jpg"
                image.save(out / name, quality=50 if q50 else 75)
            else:
                name = f"{stem}.{suffix}.png"
                image.save(out / name)
            made.append((name, source, suffix))
    return made


def pdq_hex(bits):
    return "%064x" % int("".join(str(int(b)) for b in bits), 2)


def main():
    fixtures = Path(sys.argv[1])
    images = fixtures / "images"
    names = make_images(images)
    tools = ", ".join(f"{p} {version(p)}" for p in ["imagehash", "pillow", "numpy", "scipy", "pdqhash"])
    lines = [
        f"# Generated by Scripts/make-fixtures with {tools}. The images are synthetic and benign "
        "(fixed-seed gradients, shapes, checkerboards, smooth noise; no photographs, no text).",
        "file,width,height,ahash,phash,dhash,pdq,pdq_quality",
    ]
    for name in sorted(names):
        image = Image.open(images / name)
        bits, quality = pdqhash.compute(np.asarray(image.convert("RGB")))
        row = [
            name,
            image.size[0],
            image.size[1],
            imagehash.average_hash(image),
            imagehash.phash(image),
            imagehash.dhash(image),
            pdq_hex(bits),
            quality,
        ]
        lines.append(",".join(str(v) for v in row))
    (fixtures / "expected.csv").write_text("\n".join(lines) + "\n")
    total = sum((images / n).stat().st_size for n in names)
    print(f"{len(names)} images, {total} bytes; wrote {fixtures / 'expected.csv'}")

    variants = fixtures / "variants"
    made = make_variants(images, variants)
    lines = [
        f"# Generated by Scripts/make-fixtures with {tools}: transformed copies of generated images. pdq is "
        "pdqhash's hash of the variant (as in expected.csv), pdq_distance its Hamming distance to the source's.",
        "file,source,transformation,width,height,pdq,pdq_quality,pdq_distance",
    ]
    sources = {}
    for name, source, suffix in made:
        if source not in sources:
            sources[source] = pdqhash.compute(np.asarray(Image.open(images / source).convert("RGB")))[0]
        image = Image.open(variants / name)
        bits, quality = pdqhash.compute(np.asarray(image.convert("RGB")))
        distance = int(np.count_nonzero(np.asarray(bits) != np.asarray(sources[source])))
        row = [name, source, suffix, image.size[0], image.size[1], pdq_hex(bits), quality, distance]
        lines.append(",".join(str(v) for v in row))
    (fixtures / "variants.csv").write_text("\n".join(lines) + "\n")
    total = sum((variants / row[0]).stat().st_size for row in made)
    print(f"{len(made)} variants, {total} bytes; wrote {fixtures / 'variants.csv'}")


if __name__ == "__main__":
    main()
