import Crypto
import ImageDecoding
import PerceptualHashing

/// Turns the bytes of one file into its `Fingerprint`: exact digests, decoding, every perceptual hash.
///
/// Holds reusable scratch buffers, so give each thread (or task) its own instance.
public struct Fingerprinter {
    /// What to compute.
    public var options: FingerprintOptions
    private var pdqHasher = PDQHasher()
    private var imageHasher = ImageHasher()

    /// A fingerprinter computing what `options` asks for.
    public init(options: FingerprintOptions = FingerprintOptions()) {
        self.options = options
    }

    /// Fingerprints one file's bytes. Never throws: a decoding failure is carried in `decodeError`,
    /// beside the digests that need no decoding.
    public mutating func fingerprint(_ bytes: UnsafeRawBufferPointer) -> Fingerprint {
        var result = Fingerprint()
        computeDigests(bytes, into: &result)
        guard options.needsPixels else { return result }
        do {
            let image = try decode(bytes)
            result.format = image.format
            result.width = image.sourceWidth
            result.height = image.sourceHeight
            result.exifOrientation = image.exifOrientation
            result.warnings = image.warnings
            let oriented = options.applyEXIFOrientation ? image.applyingOrientation() : image
            hashPixels(of: oriented, into: &result)
        } catch {
            result.decodeError = error
            if let header = try? ImageDecoder.probe(bytes) {
                result.format = header.format
                result.width = header.width
                result.height = header.height
            }
        }
        return result
    }

    /// Fingerprints an array of bytes.
    public mutating func fingerprint(_ bytes: [UInt8]) -> Fingerprint {
        bytes.withUnsafeBytes { fingerprint($0) }
    }

    /// Hashes pixels the caller already decoded (no digests: there are no file bytes).
    public mutating func fingerprint(image: Image) -> Fingerprint {
        var result = Fingerprint()
        result.width = image.width
        result.height = image.height
        hashPixels(of: image, into: &result)
        return result
    }

    private func decode(_ bytes: UnsafeRawBufferPointer) throws(DecodeError) -> Image {
        guard options.pdqMode == .fast, ImageDecoder.sniff(bytes) == .jpeg,
            options.algorithms == [.pdq] || options.algorithms.isSubset(of: [.pdq] + HashAlgorithm.digests)
        else { return try ImageDecoder.decode(bytes, options: options.decoding) }
        // Fast PDQ: the Y plane alone, at the smallest DCT scale that keeps `fastMinimumSide` pixels.
        let header = try ImageDecoder.probe(bytes)
        var decoding = options.decoding
        decoding.lumaOnly = true
        decoding.scaleDenominator = Self.fastScale(
            width: header.width,
            height: header.height,
            minimumSide: options.fastMinimumSide
        )
        return try ImageDecoder.decode(bytes, options: decoding)
    }

    /// The largest of 1, 2, 4, 8 that leaves the shorter side at least `minimumSide` pixels.
    static func fastScale(width: Int, height: Int, minimumSide: Int) -> Int {
        let shorter = min(width, height)
        return [8, 4, 2].first { shorter / $0 >= minimumSide } ?? 1
    }

    private mutating func hashPixels(of image: Image, into result: inout Fingerprint) {
        let algorithms = options.algorithms
        let pdqMode: PDQMode = options.pdqMode == .cli512 ? .cli512 : .full
        image.withPixels { pixels in
            if algorithms.contains(.pdq) {
                if options.dihedral {
                    let variants = pdqHasher.hashDihedral(
                        pixels: pixels,
                        width: image.width,
                        height: image.height,
                        channels: image.channels,
                        mode: pdqMode
                    )
                    result.pdqDihedral = variants
                    result.pdq = PDQHash(hash: variants.orig, quality: variants.quality)
                } else {
                    result.pdq = pdqHasher.hash(
                        pixels: pixels,
                        width: image.width,
                        height: image.height,
                        channels: image.channels,
                        mode: pdqMode
                    )
                }
            }
            let wanted = ImageHashKinds(algorithms)
            if !wanted.isEmpty {
                let hashes = imageHasher.hashes(
                    pixels: pixels,
                    width: image.width,
                    height: image.height,
                    channels: image.channels,
                    algorithms: wanted
                )
                result.ahash = hashes.ahash
                result.phash = hashes.phash
                result.dhash = hashes.dhash
            }
        }
    }

    private func computeDigests(_ bytes: UnsafeRawBufferPointer, into result: inout Fingerprint) {
        let algorithms = options.algorithms
        if algorithms.contains(.md5) { result.md5 = ExactDigest(bytes: Array(Insecure.MD5.hash(data: bytes))) }
        if algorithms.contains(.sha1) { result.sha1 = ExactDigest(bytes: Array(Insecure.SHA1.hash(data: bytes))) }
        if algorithms.contains(.sha256) { result.sha256 = ExactDigest(bytes: Array(SHA256.hash(data: bytes))) }
    }
}
