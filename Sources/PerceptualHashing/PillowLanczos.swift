import CKernels

/// Pillow's `Image.resize(size, Image.LANCZOS)` for 8-bit greyscale (`L`) images, bit for bit.
///
/// This is the resampler every Python `imagehash` hash starts with, so it must agree with Pillow
/// to the last bit: a single differing grey level can flip a hash bit. It follows Pillow 13.0.0's
/// `libImaging/Resample.c`:
///
/// - the kernel is `sinc(x)·sinc(x/3)` on `-3 ≤ x < 3`, stretched by `max(in/out, 1)` when shrinking;
/// - each output's weights are normalised to sum 1 in `Double`, then rounded half away from zero to
///   signed 22-bit fixed point;
/// - each pass accumulates from `2²¹` in 32-bit integers and clamps `acc >> 22` to 0…255, so the
///   intermediate image between the two separable passes is 8-bit, like Pillow's;
/// - a pass whose size does not change is skipped;
/// - the vertical pass runs first iff `H − h > 0 and H − h > 2·(W − w)` (Pillow 13; Pillow ≤ 12
///   always ran the horizontal pass first, which gives different pixels for tall images).
///
/// The value keeps its coefficient tables and scratch buffers between calls, so resizing many
/// images of the same size allocates nothing after the first. It is not shared between threads:
/// give each thread its own.
public struct PillowLanczos: Sendable {
    /// The loops the horizontal pass can run; all give the same bytes (integer sums do not depend on order).
    enum Kernel: Sendable, CaseIterable {
        /// One tap at a time (always used for lines shorter than a 16-tap window).
        case scalar
        /// 16 taps per step in Swift SIMD, on the package's x86-64-v2 baseline (SSE4.1).
        case vector
        /// 16 taps per step with AVX2, in C (`CKernels`), on CPUs that have it.
        case avx2

        /// The fastest this CPU runs.
        static let best: Kernel = hm_cpu_has_avx2() != 0 ? .avx2 : .vector
    }

    /// The horizontal pass's loop; tests set it to compare the kernels.
    var kernel = Kernel.best
    /// Coefficient tables of recent (input size, output size) pairs; a few suffice for hashing.
    private var cache: [LanczosAxis] = []
    /// The 8-bit image between the two passes.
    private var intermediate: [UInt8] = []
    /// One output row of the vertical pass, before clamping.
    private var accumulator: [Int32] = []

    private static let cacheCapacity = 8

    /// Creates a resampler with empty caches.
    public init() {}

    /// Resizes a greyscale image exactly as Pillow 13's LANCZOS filter does.
    ///
    /// - Parameters:
    ///   - source: `width × height` grey levels, row-major, rows packed without padding.
    ///   - width: Source width in pixels, at least 1.
    ///   - height: Source height in pixels, at least 1.
    ///   - destination: Receives `toWidth × toHeight` grey levels, row-major.
    ///   - toWidth: Target width in pixels, at least 1.
    ///   - toHeight: Target height in pixels, at least 1.
    /// - Complexity: O(`height · width`) for downscaling (the kernel widens with the scale factor),
    ///   plus O(`toWidth · toHeight`) per pass.
    public mutating func resize(
        _ source: UnsafeBufferPointer<UInt8>,
        width: Int,
        height: Int,
        into destination: UnsafeMutableBufferPointer<UInt8>,
        toWidth: Int,
        toHeight: Int
    ) {
        precondition(width >= 1 && height >= 1 && toWidth >= 1 && toHeight >= 1, "sizes must be positive")
        precondition(source.count == width * height, "source must hold width × height bytes")
        precondition(destination.count == toWidth * toHeight, "destination must hold toWidth × toHeight bytes")
        let needHorizontal = toWidth != width
        let needVertical = toHeight != height
        guard needHorizontal || needVertical else {
            _ = destination.initialize(from: source)
            return
        }
        let horizontalFirst = !(height - toHeight > 0 && height - toHeight > (width - toWidth) * 2)
        let vertical = needVertical ? axis(from: height, to: toHeight) : nil
        let horizontal = needHorizontal ? axis(from: width, to: toWidth) : nil

        var intermediate = self.intermediate
        var accumulator = self.accumulator
        self.intermediate = []
        self.accumulator = []
        defer {
            self.intermediate = intermediate
            self.accumulator = accumulator
        }
        if accumulator.count < max(width, toWidth) {
            accumulator = [Int32](repeating: 0, count: max(width, toWidth))
        }

        switch (horizontal, vertical) {
        case (let horizontal?, nil):
            Self.horizontalPass(
                source,
                width: width,
                rows: 0..<height,
                into: destination,
                axis: horizontal,
                kernel: kernel
            )
        case (nil, let vertical?):
            accumulator.withUnsafeMutableBufferPointer { sums in
                Self.verticalPass(source, width: width, firstRow: 0, into: destination, axis: vertical, sums: sums)
            }
        case (let horizontal?, let vertical?) where horizontalFirst:
            // Only the source rows some output row reads: Pillow's ybox_first..<ybox_last.
            let firstRow = vertical.starts[0]
            let lastRow = vertical.starts[toHeight - 1] + vertical.counts[toHeight - 1]
            Self.reserve(&intermediate, toWidth * (lastRow - firstRow))
            intermediate.withUnsafeMutableBufferPointer { middle in
                let middle = UnsafeMutableBufferPointer(rebasing: middle[..<(toWidth * (lastRow - firstRow))])
                Self.horizontalPass(
                    source,
                    width: width,
                    rows: firstRow..<lastRow,
                    into: middle,
                    axis: horizontal,
                    kernel: kernel
                )
                accumulator.withUnsafeMutableBufferPointer { sums in
                    Self.verticalPass(
                        UnsafeBufferPointer(middle),
                        width: toWidth,
                        firstRow: firstRow,
                        into: destination,
                        axis: vertical,
                        sums: sums
                    )
                }
            }
        case (let horizontal?, let vertical?):
            Self.reserve(&intermediate, width * toHeight)
            intermediate.withUnsafeMutableBufferPointer { middle in
                let middle = UnsafeMutableBufferPointer(rebasing: middle[..<(width * toHeight)])
                accumulator.withUnsafeMutableBufferPointer { sums in
                    Self.verticalPass(source, width: width, firstRow: 0, into: middle, axis: vertical, sums: sums)
                }
                Self.horizontalPass(
                    UnsafeBufferPointer(middle),
                    width: width,
                    rows: 0..<toHeight,
                    into: destination,
                    axis: horizontal,
                    kernel: kernel
                )
            }
        case (nil, nil):
            preconditionFailure("unreachable: no pass needed is handled above")
        }
    }

    /// Resizes a greyscale image held in an array (convenient for tests and one-off use).
    ///
    /// - Parameters:
    ///   - pixels: `width × height` grey levels, row-major.
    ///   - width: Source width in pixels, at least 1.
    ///   - height: Source height in pixels, at least 1.
    ///   - toWidth: Target width in pixels, at least 1.
    ///   - toHeight: Target height in pixels, at least 1.
    /// - Returns: `toWidth × toHeight` grey levels, row-major.
    public mutating func resized(
        _ pixels: [UInt8],
        width: Int,
        height: Int,
        toWidth: Int,
        toHeight: Int
    ) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: toWidth * toHeight)
        pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { destination in
                resize(source, width: width, height: height, into: destination, toWidth: toWidth, toHeight: toHeight)
            }
        }
        return out
    }

    /// The coefficient table for one axis, from the cache when possible.
    private mutating func axis(from inSize: Int, to outSize: Int) -> LanczosAxis {
        if let hit = cache.first(where: { $0.inSize == inSize && $0.outSize == outSize }) {
            return hit
        }
        let table = LanczosAxis(inSize: inSize, outSize: outSize)
        if cache.count == Self.cacheCapacity { cache.removeFirst() }
        cache.append(table)
        return table
    }

    private static func reserve(_ buffer: inout [UInt8], _ count: Int) {
        if buffer.count < count { buffer = [UInt8](repeating: 0, count: count) }
    }

    /// Pillow's clip8: `acc >> 22` clamped to 0…255.
    @inline(__always)
    private static func clip8(_ accumulated: Int32) -> UInt8 {
        UInt8(clamping: accumulated >> LanczosAxis.precisionBits)
    }

    /// Resamples each row in `rows` of `source` (`width` wide) to `axis.outSize` pixels.
    ///
    /// This pass is most of the cost of an imagehash (a 1024×768 image shrunk to 8×8 reads ~770 inputs per output),
    /// so it multiplies 16 taps at a time when the axis has a lane layout: 5.0 → 1.4 ms for the three imagehash
    /// thumbnails of a 1024×768 photo with SSE4.1 (`perf` over `hashmatch bench` on `m1024_img000.jpg`), less
    /// again with AVX2 (docs/BENCHMARKS.md).
    private static func horizontalPass(
        _ source: UnsafeBufferPointer<UInt8>,
        width: Int,
        rows: Range<Int>,
        into destination: UnsafeMutableBufferPointer<UInt8>,
        axis: LanczosAxis,
        kernel: Kernel
    ) {
        let outWidth = axis.outSize
        guard let lanes = axis.lanes, kernel != .scalar else {
            scalarHorizontalPass(source, width: width, rows: rows, into: destination, axis: axis)
            return
        }
        #if arch(x86_64)
        if kernel == .avx2, !rows.isEmpty {
            precondition(destination.count >= rows.count * outWidth && (rows.upperBound * width) <= source.count)
            lanes.starts.withUnsafeBufferPointer { starts in
                lanes.weights.withUnsafeBufferPointer { weights in
                    hm_lanczos_rows_avx2(
                        source.baseAddress! + rows.lowerBound * width,
                        width,
                        rows.count,
                        starts.baseAddress!,
                        weights.baseAddress!,
                        lanes.taps,
                        outWidth,
                        1 << (LanczosAxis.precisionBits - 1),
                        Int32(LanczosAxis.precisionBits),
                        destination.baseAddress!
                    )
                }
            }
            return
        }
        #endif
        let vectors = lanes.taps / LanczosAxis.LaneLayout.width
        lanes.weights.withUnsafeBufferPointer { weights in
            for (outRow, row) in rows.enumerated() {
                let line = UnsafeRawPointer(source.baseAddress! + row * width)
                let out = destination.baseAddress! + outRow * outWidth
                for x in 0..<outWidth {
                    let pixels = line + lanes.starts[x]
                    let coefficients = UnsafeRawPointer(weights.baseAddress! + x * lanes.taps)
                    var sums = SIMD16<Int32>()
                    for v in 0..<vectors {
                        let bytes = pixels.loadUnaligned(fromByteOffset: v * 16, as: SIMD16<UInt8>.self)
                        let taps = coefficients.loadUnaligned(fromByteOffset: v * 64, as: SIMD16<Int32>.self)
                        sums &+= SIMD16<Int32>(truncatingIfNeeded: bytes) &* taps
                    }
                    out[x] = clip8((1 << (LanczosAxis.precisionBits - 1)) &+ sums.wrappedSum())
                }
            }
        }
    }

    /// ``horizontalPass(_:width:rows:into:axis:)`` for lines shorter than one vector window.
    private static func scalarHorizontalPass(
        _ source: UnsafeBufferPointer<UInt8>,
        width: Int,
        rows: Range<Int>,
        into destination: UnsafeMutableBufferPointer<UInt8>,
        axis: LanczosAxis
    ) {
        let outWidth = axis.outSize
        let kernelSize = axis.kernelSize
        axis.weights.withUnsafeBufferPointer { weights in
            for (outRow, row) in rows.enumerated() {
                let line = source.baseAddress! + row * width
                let out = destination.baseAddress! + outRow * outWidth
                for x in 0..<outWidth {
                    let start = axis.starts[x]
                    let kernel = weights.baseAddress! + x * kernelSize
                    var sum: Int32 = 1 << (LanczosAxis.precisionBits - 1)
                    for tap in 0..<axis.counts[x] {
                        sum &+= Int32(line[start + tap]) &* kernel[tap]
                    }
                    out[x] = clip8(sum)
                }
            }
        }
    }

    /// Resamples each column of `source` (`width` wide, its first row being image row `firstRow`)
    /// to `axis.outSize` rows; integer sums do not depend on order, so rows are accumulated whole.
    private static func verticalPass(
        _ source: UnsafeBufferPointer<UInt8>,
        width: Int,
        firstRow: Int,
        into destination: UnsafeMutableBufferPointer<UInt8>,
        axis: LanczosAxis,
        sums: UnsafeMutableBufferPointer<Int32>
    ) {
        let kernelSize = axis.kernelSize
        let sums = sums.baseAddress!
        axis.weights.withUnsafeBufferPointer { weights in
            for y in 0..<axis.outSize {
                for x in 0..<width { sums[x] = 1 << (LanczosAxis.precisionBits - 1) }
                let kernel = weights.baseAddress! + y * kernelSize
                let start = axis.starts[y] - firstRow
                for tap in 0..<axis.counts[y] {
                    let weight = kernel[tap]
                    let line = source.baseAddress! + (start + tap) * width
                    for x in 0..<width {
                        sums[x] &+= Int32(line[x]) &* weight
                    }
                }
                let out = destination.baseAddress! + y * width
                for x in 0..<width { out[x] = clip8(sums[x]) }
            }
        }
    }
}
