import Fingerprinting
// libFuzzer target: image bytes through the C decoding layer (libjpeg-turbo, libpng, EXIF) and every hash.
import FuzzDriver
import ImageDecoding
import PerceptualHashing

#if canImport(Glibc)
import Glibc
#endif

/// Small limits keep each run fast and make a wrong size check show up as a sanitizer report, not a timeout.
private func options(scale: Int, grey: Bool, strict: Bool) -> DecodeOptions {
    var options = DecodeOptions()
    options.maxPixels = 4_000_000
    options.maxDimension = 4096
    options.scaleDenominator = scale
    options.lumaOnly = grey
    options.strict = strict
    options.maxJPEGScans = 64
    return options
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    _ = ImageDecoder.sniff(bytes)
    _ = try? ImageDecoder.probe(bytes)
    for (scale, grey, strict) in [(1, false, false), (8, true, true)] {
        if let image = try? ImageDecoder.decode(bytes, options: options(scale: scale, grey: grey, strict: strict)) {
            precondition(image.width > 0 && image.height > 0, "decoded an empty image")
            _ = image.applyingOrientation()
        }
    }
    var fingerprintOptions = FingerprintOptions()
    fingerprintOptions.decoding = options(scale: 1, grey: false, strict: false)
    fingerprintOptions.applyEXIFOrientation = true
    fingerprintOptions.dihedral = size % 2 == 0
    var fingerprinter = Fingerprinter(options: fingerprintOptions)
    _ = fingerprinter.fingerprint(bytes)
    return 0
}

runFuzzer(fuzz)
