/// The SIMD width the blur and the DCT use across independent outputs.
typealias PDQLanes = SIMD16<Float>

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
