extension Image {
    /// The image as a viewer shows it: rotated/mirrored as its EXIF orientation says (identity when it has none).
    ///
    /// - Complexity: O(width × height), one new buffer.
    public func applyingOrientation() -> Image {
        guard let orientation = exifOrientation, orientation != 1 else { return self }
        let transposed = orientation >= 5
        let (outWidth, outHeight) = transposed ? (height, width) : (width, height)
        var out = [UInt8](repeating: 0, count: width * height * channels)
        let (w, h) = (width, height)
        withPixels { source in
            for y in 0..<outHeight {
                for x in 0..<outWidth {
                    // Where the destination pixel comes from, per EXIF orientation 2…8.
                    let (sx, sy): (Int, Int) =
                        switch orientation {
                        case 2: (w - 1 - x, y)
                        case 3: (w - 1 - x, h - 1 - y)
                        case 4: (x, h - 1 - y)
                        case 5: (y, x)
                        case 6: (y, h - 1 - x)
                        case 7: (w - 1 - y, h - 1 - x)
                        default: (w - 1 - y, x)
                        }
                    for c in 0..<channels {
                        out[(y * outWidth + x) * channels + c] = source[(sy * w + sx) * channels + c]
                    }
                }
            }
        }
        return Image(width: outWidth, height: outHeight, channels: channels, pixels: out)
    }
}
