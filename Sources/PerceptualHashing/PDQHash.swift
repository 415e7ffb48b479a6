/// A PDQ hash with the quality score the reference computes alongside it.
public struct PDQHash: Hashable, Sendable {
    /// The 256 hash bits; bit `k` is DCT cell `k = row·16 + column` (row = vertical frequency).
    public var hash: Hash256
    /// Image-domain gradient score, 0…100; the reference discards hashes with quality below 50.
    public var quality: Int

    /// Wraps a hash and its quality.
    public init(hash: Hash256, quality: Int) {
        self.hash = hash
        self.quality = quality
    }

    /// What the reference returns for images under 5 pixels on a side: all bits zero, quality 0.
    public static let zero = PDQHash(hash: .zero, quality: 0)
}

/// Which resolution PDQ hashes an image at.
public enum PDQMode: Sendable, Hashable {
    /// Hash at full resolution, as pdqhash, python-threatexchange and HMA do.
    case full
    /// As Meta's `pdq-photo-hasher` CLI: an image wider or taller than 512 pixels is first resized to
    /// exactly 512×512 (aspect ratio not kept) by nearest neighbour, source index `⌊x·W/512⌋`.
    case cli512
}
