/// The SIMD width the blur and the DCT use across independent outputs.
typealias PDQLanes = SIMD16<Float>

/// Where a box-filter pass writes its outputs.
protocol BoxFilterSink {
    /// Called before the outputs of the 16 lanes starting at `lane`.
    mutating func begin(lane: Int)
    /// Output number `index` along the filtered axis, for the 16 lanes starting at `lane`.
    mutating func emit(_ index: Int, lane: Int, _ value: PDQLanes)
    /// Called after the last of the `length` outputs of the 16 lanes starting at `lane`.
    mutating func end(lane: Int, length: Int)
}

extension BoxFilterSink {
    @inline(__always) mutating func end(lane: Int, length: Int) {}
}

/// Writes every output: row `index` of a grid with the given row stride.
struct DenseSink: BoxFilterSink {
    let base: UnsafeMutablePointer<Float>
    let stride: Int

    @inline(__always) func begin(lane: Int) {}

    @inline(__always) func emit(_ index: Int, lane: Int, _ value: PDQLanes) {
        UnsafeMutableRawPointer(base + (index &* stride &+ lane)).storeBytes(of: value, as: PDQLanes.self)
    }
}

/// Writes every output transposed: output `index` of lane `l` goes to `base[l·stride + index]`.
///
/// Outputs are gathered four at a time and written as 4×4 transposed blocks, which saves the separate
/// transpose pass between a rows pass and a columns pass.
struct TransposingSink: BoxFilterSink {
    let base: UnsafeMutablePointer<Float>
    let stride: Int
    var pending = (PDQLanes(), PDQLanes(), PDQLanes(), PDQLanes())
    var count = 0

    init(base: UnsafeMutablePointer<Float>, stride: Int) {
        self.base = base
        self.stride = stride
    }

    @inline(__always) mutating func begin(lane: Int) { count = 0 }

    @inline(__always) mutating func emit(_ index: Int, lane: Int, _ value: PDQLanes) {
        switch count {
        case 0: pending.0 = value
        case 1: pending.1 = value
        case 2: pending.2 = value
        default: pending.3 = value
        }
        count &+= 1
        if count == 4 {
            let (a, b, c, d) = pending
            let column = base + (lane &* stride &+ index &- 3)
            store(a.lowHalf.lowHalf, b.lowHalf.lowHalf, c.lowHalf.lowHalf, d.lowHalf.lowHalf, column)
            store(a.lowHalf.highHalf, b.lowHalf.highHalf, c.lowHalf.highHalf, d.lowHalf.highHalf, column + 4 * stride)
            store(a.highHalf.lowHalf, b.highHalf.lowHalf, c.highHalf.lowHalf, d.highHalf.lowHalf, column + 8 * stride)
            store(
                a.highHalf.highHalf,
                b.highHalf.highHalf,
                c.highHalf.highHalf,
                d.highHalf.highHalf,
                column + 12 * stride
            )
            count = 0
        }
    }

    /// Writes rows `a`…`d` of a 4×4 block as its columns, at `pointer`, `pointer + stride`, ….
    @inline(__always) private func store(
        _ a: SIMD4<Float>,
        _ b: SIMD4<Float>,
        _ c: SIMD4<Float>,
        _ d: SIMD4<Float>,
        _ pointer: UnsafeMutablePointer<Float>
    ) {
        for k in 0..<4 {
            UnsafeMutableRawPointer(pointer + k &* stride).storeBytes(
                of: SIMD4(a[k], b[k], c[k], d[k]),
                as: SIMD4<Float>.self
            )
        }
    }

    @inline(__always) mutating func end(lane: Int, length: Int) {
        for n in 0..<count {
            let value = n == 0 ? pending.0 : n == 1 ? pending.1 : pending.2
            for l in 0..<16 {
                base[(lane + l) * stride + length - count + n] = value[l]
            }
        }
    }
}

/// Writes only the outputs the 64-point decimation samples: output `targets[n]` goes to row `n`.
///
/// The running sums still visit every input, so the kept outputs are bit-identical to a dense pass.
struct DecimatingSink: BoxFilterSink {
    let base: UnsafeMutablePointer<Float>
    let stride: Int
    /// 64 non-decreasing sample indices.
    let targets: UnsafePointer<Int>
    var next = 0

    @inline(__always) mutating func begin(lane: Int) { next = 0 }

    @inline(__always) mutating func emit(_ index: Int, lane: Int, _ value: PDQLanes) {
        while next < 64 && targets[next] == index {
            UnsafeMutableRawPointer(base + (next &* stride &+ lane)).storeBytes(of: value, as: PDQLanes.self)
            next &+= 1
        }
    }
}

/// Wojciech Jarosz's repeated box filter as Meta's PDQ reference computes it (`downscaling.cpp`).
///
/// Every 1-D pass is a float running sum taken in the reference's four phases; the passes here run down
/// the columns of a row-major grid, 16 columns at once, so each SIMD lane repeats one reference sum in
/// the reference's order. A pass along image rows is run on the transposed image.
enum JaroszBlur {
    /// Box window for a dimension: `(dim + 2·64 − 1) / (2·64)`, i.e. 1 up to 128 pixels, 4 at 512.
    static func windowSize(_ dimension: Int) -> Int {
        (dimension + 2 * 64 - 1) / (2 * 64)
    }

    /// The reference's decimation sample: `(int)(((n + 0.5) · dimension) / 64)` computed in Double.
    static func sampleIndex(_ n: Int, of dimension: Int) -> Int {
        Int(((Double(n) + 0.5) * Double(dimension)) / 64)
    }

    /// Runs the reference's `box1DFloat` down `lanes` columns (a multiple of 16) of a grid with
    /// `length` rows and row stride `stride`, handing each output row to `sink`.
    static func boxDown<Sink: BoxFilterSink>(
        _ source: UnsafePointer<Float>,
        stride: Int,
        length: Int,
        lanes: Int,
        window: Int,
        into sink: inout Sink
    ) {
        assert(lanes % 16 == 0 && window >= 1 && window <= length)
        let half = (window + 2) / 2
        let phase1 = half - 1
        let phase2 = window - half + 1
        let phase3 = length - window
        let phase4 = half - 1
        let divisor = PDQLanes(repeating: Float(window))
        // x / 2ⁿ and x · 2⁻ⁿ are the same correctly rounded value, so power-of-two windows may multiply.
        let powerOfTwo = window & (window - 1) == 0
        let reciprocal = PDQLanes(repeating: 1 / Float(window))
        for lane in Swift.stride(from: 0, to: lanes, by: 16) {
            sink.begin(lane: lane)
            var sum = PDQLanes()
            var right = source + lane
            var left = source + lane
            var index = 0
            var count = 0
            for _ in 0..<phase1 {
                sum += load(right)
                right += stride
                count &+= 1
            }
            for _ in 0..<phase2 {
                sum += load(right)
                right += stride
                count &+= 1
                sink.emit(index, lane: lane, sum / PDQLanes(repeating: Float(count)))
                index &+= 1
            }
            if powerOfTwo {
                for _ in 0..<phase3 {
                    sum += load(right)
                    sum -= load(left)
                    right += stride
                    left += stride
                    sink.emit(index, lane: lane, sum * reciprocal)
                    index &+= 1
                }
            } else {
                for _ in 0..<phase3 {
                    sum += load(right)
                    sum -= load(left)
                    right += stride
                    left += stride
                    sink.emit(index, lane: lane, sum / divisor)
                    index &+= 1
                }
            }
            for _ in 0..<phase4 {
                sum -= load(left)
                left += stride
                count &-= 1
                sink.emit(index, lane: lane, sum / PDQLanes(repeating: Float(count)))
                index &+= 1
            }
            sink.end(lane: lane, length: length)
        }
    }

    @inline(__always) private static func load(_ pointer: UnsafePointer<Float>) -> PDQLanes {
        UnsafeRawPointer(pointer).loadUnaligned(as: PDQLanes.self)
    }

    /// `destination[c·destinationStride + r] = source[r·sourceStride + c]` for a `rows × columns` block.
    ///
    /// 4×4 blocks go through SIMD registers; a ragged edge is copied element by element.
    static func transpose(
        _ source: UnsafePointer<Float>,
        rows: Int,
        columns: Int,
        sourceStride: Int,
        into destination: UnsafeMutablePointer<Float>,
        destinationStride: Int
    ) {
        let tile = 16
        let fullRows = rows & ~3
        let fullColumns = columns & ~3
        for r0 in Swift.stride(from: 0, to: fullRows, by: tile) {
            let r1 = min(r0 + tile, fullRows)
            for c0 in Swift.stride(from: 0, to: fullColumns, by: tile) {
                let c1 = min(c0 + tile, fullColumns)
                for r in Swift.stride(from: r0, to: r1, by: 4) {
                    for c in Swift.stride(from: c0, to: c1, by: 4) {
                        transpose4x4(
                            source + r * sourceStride + c,
                            sourceStride,
                            destination + c * destinationStride + r,
                            destinationStride
                        )
                    }
                }
            }
        }
        for r in 0..<rows {
            let row = source + r * sourceStride
            let firstColumn = r < fullRows ? fullColumns : 0
            for c in firstColumn..<columns {
                destination[c * destinationStride + r] = row[c]
            }
        }
    }

    @inline(__always) private static func transpose4x4(
        _ source: UnsafePointer<Float>,
        _ sourceStride: Int,
        _ destination: UnsafeMutablePointer<Float>,
        _ destinationStride: Int
    ) {
        func load(_ pointer: UnsafePointer<Float>) -> SIMD4<Float> {
            UnsafeRawPointer(pointer).loadUnaligned(as: SIMD4<Float>.self)
        }
        func store(_ value: SIMD4<Float>, _ pointer: UnsafeMutablePointer<Float>) {
            UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD4<Float>.self)
        }
        let r0 = load(source)
        let r1 = load(source + sourceStride)
        let r2 = load(source + 2 * sourceStride)
        let r3 = load(source + 3 * sourceStride)
        store(SIMD4(r0[0], r1[0], r2[0], r3[0]), destination)
        store(SIMD4(r0[1], r1[1], r2[1], r3[1]), destination + destinationStride)
        store(SIMD4(r0[2], r1[2], r2[2], r3[2]), destination + 2 * destinationStride)
        store(SIMD4(r0[3], r1[3], r2[3], r3[3]), destination + 3 * destinationStride)
    }
}

extension JaroszBlur {
    /// Scratch a `downsample` of a `width × height` image needs, in floats, with row strides
    /// padded to whole SIMD vectors.
    struct Scratch {
        let a: UnsafeMutablePointer<Float>
        let b: UnsafeMutablePointer<Float>
        let narrow: UnsafeMutablePointer<Float>
        let narrowTransposed: UnsafeMutablePointer<Float>

        /// Floats needed: two full planes plus two 64-wide strips.
        static func count(width: Int, height: Int) -> Int {
            let plane = padded(width) * padded(height)
            return 2 * plane + 2 * 64 * padded(height)
        }

        init(_ base: UnsafeMutablePointer<Float>, width: Int, height: Int) {
            let plane = padded(width) * padded(height)
            a = base
            b = base + plane
            narrow = base + 2 * plane
            narrowTransposed = base + 2 * plane + 64 * padded(height)
        }
    }

    /// A row stride for `n` floats: whole SIMD vectors, and an odd number of them, because strides of
    /// many cache lines that are powers of two (512 floats) make transposes thrash the cache (6× slower).
    static func padded(_ n: Int) -> Int { ((n + 15) & ~15) | 16 }

    /// Two rows-then-columns box passes and the 64×64 decimation, as the reference's `jaroszFilterFloat`
    /// followed by `decimateFloat`, writing the 64×64 result row-major into `output`.
    ///
    /// The last two passes keep only the outputs the decimation samples (their running sums still
    /// visit every input), so they cost a fraction of a full pass.
    static func downsample(
        _ luma: UnsafePointer<Float>,
        stride: Int,
        width: Int,
        height: Int,
        scratch: Scratch,
        into output: UnsafeMutablePointer<Float>
    ) {
        let paddedWidth = padded(width)
        let paddedHeight = padded(height)
        let alongRows = windowSize(width)
        let alongColumns = windowSize(height)
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 128) { targets in
            let columnTargets = targets.baseAddress!
            let rowTargets = columnTargets + 64
            for n in 0..<64 {
                columnTargets[n] = sampleIndex(n, of: width)
                rowTargets[n] = sampleIndex(n, of: height)
            }
            // Image rows are the columns of the transposed image (width rows, paddedHeight stride).
            transpose(
                luma,
                rows: height,
                columns: width,
                sourceStride: stride,
                into: scratch.a,
                destinationStride: paddedHeight
            )
            // First rows pass, written back transposed: `b` holds the image row-major again.
            var rowsSink = TransposingSink(base: scratch.b, stride: paddedWidth)
            boxDown(
                scratch.a,
                stride: paddedHeight,
                length: width,
                lanes: paddedHeight,
                window: alongRows,
                into: &rowsSink
            )
            // First columns pass, written transposed for the second rows pass.
            var columnsSink = TransposingSink(base: scratch.a, stride: paddedHeight)
            boxDown(
                scratch.b,
                stride: paddedWidth,
                length: height,
                lanes: paddedWidth,
                window: alongColumns,
                into: &columnsSink
            )
            // Second rows pass: keep the 64 sampled columns (as rows of `narrow`, 64 × paddedHeight).
            var columnSink = DecimatingSink(base: scratch.narrow, stride: paddedHeight, targets: columnTargets)
            boxDown(
                scratch.a,
                stride: paddedHeight,
                length: width,
                lanes: paddedHeight,
                window: alongRows,
                into: &columnSink
            )
            // Second columns pass on those 64 columns only, keeping the 64 sampled rows.
            transpose(
                scratch.narrow,
                rows: 64,
                columns: height,
                sourceStride: paddedHeight,
                into: scratch.narrowTransposed,
                destinationStride: 64
            )
            var rowSink = DecimatingSink(base: output, stride: 64, targets: rowTargets)
            boxDown(
                scratch.narrowTransposed,
                stride: 64,
                length: height,
                lanes: 64,
                window: alongColumns,
                into: &rowSink
            )
        }
    }

    /// The full blurred image (both passes, every output), row-major `height × width`: the reference's
    /// intermediate, for tests; hashing uses `downsample`.
    static func blurred(_ luma: [Float], width: Int, height: Int) -> [Float] {
        let paddedWidth = padded(width)
        let paddedHeight = padded(height)
        var a = [Float](repeating: 0, count: paddedWidth * paddedHeight)
        var b = a
        a.withUnsafeMutableBufferPointer { a in
            b.withUnsafeMutableBufferPointer { b in
                let a = a.baseAddress!
                let b = b.baseAddress!
                luma.withUnsafeBufferPointer { luma in
                    transpose(
                        luma.baseAddress!,
                        rows: height,
                        columns: width,
                        sourceStride: width,
                        into: a,
                        destinationStride: paddedHeight
                    )
                }
                for _ in 0..<2 {
                    var rowsSink = DenseSink(base: b, stride: paddedHeight)
                    boxDown(
                        a,
                        stride: paddedHeight,
                        length: width,
                        lanes: paddedHeight,
                        window: windowSize(width),
                        into: &rowsSink
                    )
                    transpose(
                        b,
                        rows: width,
                        columns: height,
                        sourceStride: paddedHeight,
                        into: a,
                        destinationStride: paddedWidth
                    )
                    var columnsSink = DenseSink(base: b, stride: paddedWidth)
                    boxDown(
                        a,
                        stride: paddedWidth,
                        length: height,
                        lanes: paddedWidth,
                        window: windowSize(height),
                        into: &columnsSink
                    )
                    transpose(
                        b,
                        rows: height,
                        columns: width,
                        sourceStride: paddedWidth,
                        into: a,
                        destinationStride: paddedHeight
                    )
                }
                transpose(
                    a,
                    rows: width,
                    columns: height,
                    sourceStride: paddedHeight,
                    into: b,
                    destinationStride: width
                )
            }
        }
        return Array(b[0..<(width * height)])
    }
}
