/// Turns the 16×16 DCT output into hash bits: bit `k = i·16 + j` is set when `B[i][j]` exceeds the median.
enum PDQThreshold {
    /// The median the reference's Torben routine returns for 256 values: the lower one, `sorted(B)[127]`.
    ///
    /// Selection runs on order-preserving integer keys, so it terminates on any bit pattern (NaN too).
    static func lowerMedian(_ values: UnsafePointer<Float>) -> Float {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 256) { keys in
            for n in 0..<256 {
                let bits = values[n].bitPattern
                keys[n] = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
            }
            let wanted = 127
            var low = 0
            var high = 255
            while low < high {
                let pivot = medianOfThree(keys[low], keys[(low + high) / 2], keys[high])
                var i = low
                var j = high
                while i <= j {
                    while keys[i] < pivot { i += 1 }
                    while keys[j] > pivot { j -= 1 }
                    if i <= j {
                        keys.swapAt(i, j)
                        i += 1
                        j -= 1
                    }
                }
                if wanted <= j {
                    high = j
                } else if wanted >= i {
                    low = i
                } else {
                    break
                }
            }
            let key = keys[wanted]
            return Float(bitPattern: key & 0x8000_0000 != 0 ? key & 0x7FFF_FFFF : ~key)
        }
    }

    private static func medianOfThree(_ a: UInt32, _ b: UInt32, _ c: UInt32) -> UInt32 {
        max(min(a, b), min(max(a, b), c))
    }

    /// The hash of 256 DCT values (row-major 16×16): bit `k` set when `values[k] > lowerMedian(values)`.
    static func hash(_ values: UnsafePointer<Float>) -> Hash256 {
        let median = PDQLanes(repeating: lowerMedian(values))
        let weights = SIMD16<UInt32>(
            0x1,
            0x2,
            0x4,
            0x8,
            0x10,
            0x20,
            0x40,
            0x80,
            0x100,
            0x200,
            0x400,
            0x800,
            0x1000,
            0x2000,
            0x4000,
            0x8000
        )
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for row in 0..<16 {
            let above = UnsafeRawPointer(values + row * 16).loadUnaligned(as: PDQLanes.self) .> median
            let bits = UInt64(weights.replacing(with: 0, where: .!above).wrappedSum()) << UInt64((row & 3) * 16)
            switch row >> 2 {
            case 0: words.0 |= bits
            case 1: words.1 |= bits
            case 2: words.2 |= bits
            default: words.3 |= bits
            }
        }
        return Hash256(w0: words.3, w1: words.2, w2: words.1, w3: words.0)
    }
}
