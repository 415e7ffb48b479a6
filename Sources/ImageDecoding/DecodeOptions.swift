/// How to decode, and the limits that keep hostile files from exhausting memory or CPU.
public struct DecodeOptions: Sendable, Equatable {
    /// What happens to an alpha channel.
    public enum Alpha: Sendable, Equatable {
        /// Drop it and keep the colour samples as stored — what Pillow's `convert('RGB')`/`convert('L')` do,
        /// and so what `pdqhash`, python-threatexchange and `imagehash` hash. The default.
        case ignore
        /// Composite over a solid background colour.
        case composite(red: UInt8, green: UInt8, blue: UInt8)
    }

    /// Images whose declared width × height exceeds this are refused before any pixel is allocated.
    public var maxPixels: Int = 100_000_000
    /// Images wider or taller than this are refused.
    public var maxDimension: Int = 65_535
    /// JPEG only: decode at 1/1, 1/2, 1/4 or 1/8 scale in the DCT domain (cheaper; PNG ignores it).
    public var scaleDenominator: Int = 1
    /// JPEG only: decode just the luma (Y) plane of colour JPEGs — no chroma work at all.
    public var lumaOnly: Bool = false
    /// A truncated or damaged JPEG (which libjpeg would patch with invented pixels) is an error, not a warning.
    public var strict: Bool = true
    /// What happens to alpha.
    public var alpha: Alpha = .ignore
    /// Progressive JPEGs with more scans than this are refused (a CPU bomb otherwise); 0 = unlimited.
    public var maxJPEGScans: Int = 256

    /// The defaults: 100 MP, 65535 px a side, full scale, colour, strict, alpha ignored, 256 scans.
    public init() {}
}
