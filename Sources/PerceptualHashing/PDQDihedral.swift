/// The dihedral variants of a PDQ hash, obtained from the original 16×16 DCT by sign flips and
/// transposition (the reference's `dct16OriginalTo…`), each then thresholded at its own median.
enum PDQDihedral {
    /// Writes the DCT of `variant` of the image whose DCT is `a` into `b` (both 16×16 row-major).
    static func transform(
        _ a: UnsafePointer<Float>,
        to variant: PDQDihedralVariant,
        into b: UnsafeMutablePointer<Float>
    ) {
        for i in 0..<16 {
            for j in 0..<16 {
                let value = a[i * 16 + j]
                let odd = (i + j) & 1 == 1
                switch variant {
                case .orig: b[i * 16 + j] = value
                case .rot90: b[j * 16 + i] = j & 1 == 1 ? value : -value
                case .rot180: b[i * 16 + j] = odd ? -value : value
                case .rot270: b[j * 16 + i] = i & 1 == 1 ? value : -value
                case .flipX: b[i * 16 + j] = i & 1 == 1 ? value : -value
                case .flipY: b[i * 16 + j] = j & 1 == 1 ? value : -value
                case .flipPlus1: b[j * 16 + i] = value
                case .flipMinus1: b[j * 16 + i] = odd ? -value : value
                }
            }
        }
    }

    /// All eight hashes from the original DCT `a`, using the 256-float `scratch`.
    static func hashes(
        _ a: UnsafePointer<Float>,
        quality: Int,
        scratch: UnsafeMutablePointer<Float>
    ) -> PDQDihedralHashes {
        func hash(_ variant: PDQDihedralVariant) -> Hash256 {
            if variant == .orig { return PDQThreshold.hash(a) }
            transform(a, to: variant, into: scratch)
            return PDQThreshold.hash(scratch)
        }
        return PDQDihedralHashes(
            orig: hash(.orig),
            rot90: hash(.rot90),
            rot180: hash(.rot180),
            rot270: hash(.rot270),
            flipX: hash(.flipX),
            flipY: hash(.flipY),
            flipPlus1: hash(.flipPlus1),
            flipMinus1: hash(.flipMinus1),
            quality: quality
        )
    }
}
