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
