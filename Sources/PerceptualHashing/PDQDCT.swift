/// The 64×64 → 16×16 DCT and the image-domain quality score, as Meta's PDQ reference computes them.
enum PDQDCT {
    /// `D[i][j] = sqrt(2/64) · cos((π/2/64)·(i+1)·(2j+1))`, 16 rows × 64 columns, row-major.
    ///
    /// As the reference: the scale is rounded to Float first, the product taken in Double, the entry
    /// stored as Float. Row 0 is frequency 1 (PDQ drops the DC term).
    static let matrix: [Float] = {
        let scale = Double(Float((2.0 / 64.0).squareRoot()))
        var entries = [Float](repeating: 0, count: 16 * 64)
        for i in 0..<16 {
            for j in 0..<64 {
                entries[i * 64 + j] = Float(scale * cosine((Double.pi / 2 / 64.0) * Double(i + 1) * Double(2 * j + 1)))
            }
        }
        return entries
    }()

    /// `matrix` transposed: 64 rows × 16 columns.
    static let transposedMatrix: [Float] = {
        var entries = [Float](repeating: 0, count: 64 * 16)
        for i in 0..<16 {
            for j in 0..<64 {
                entries[j * 16 + i] = matrix[i * 64 + j]
            }
        }
        return entries
    }()

    /// cos(x) for 0 ≤ x < 64, within an ulp or so of the correctly rounded value.
    ///
    /// The library avoids libm; the tests check the resulting Float matrix bit for bit against one
    /// built with the platform's `cos`.
    static func cosine(_ x: Double) -> Double {
        // Cody–Waite reduction by π/2 with fdlibm's 33-bit split, exact for the small quadrant counts here.
        let pio2Hi = 1.570_796_326_734_125_614_17
        let pio2Lo = 6.077_100_506_506_192_249_32e-11
        let quadrant = Double(Int(x * (2 / Double.pi) + 0.5))  // x ≥ 0; no libm round
        let r = (x - quadrant * pio2Hi) - quadrant * pio2Lo
        let z = r * r
        var cosPoly = 0.0
        var sinPoly = 0.0
        // Taylor terms up to r²⁰ (|r| ≤ π/4), summed smallest first by Horner.
        for n in stride(from: 10, through: 1, by: -1) {
            cosPoly = cosPoly * z + (n % 2 == 0 ? 1 : -1) / factorial(2 * n)
            sinPoly = sinPoly * z + (n % 2 == 0 ? 1 : -1) / factorial(2 * n + 1)
        }
        let cosR = 1 + z * cosPoly
        let sinR = r + r * z * sinPoly
        switch Int(quadrant) & 3 {
        case 0: return cosR
        case 1: return -sinR
        case 2: return -cosR
        default: return sinR
        }
    }

    private static func factorial(_ n: Int) -> Double {
        var product = 1.0
        for k in stride(from: 2, through: n, by: 1) { product *= Double(k) }
        return product
    }

    /// `B = D · A · Dᵀ` for a 64×64 row-major `a`, through the 16×64 scratch `t`, into the 16×16 `b`.
    ///
    /// Every output is one Float accumulator summed with k ascending, as the reference; the SIMD lanes
    /// hold independent outputs.
    static func dct64To16(
        _ a: UnsafePointer<Float>,
        scratch t: UnsafeMutablePointer<Float>,
        into b: UnsafeMutablePointer<Float>
    ) {
        matrix.withUnsafeBufferPointer { d in
            // T[i][j] = Σₖ D[i][k] · A[k][j]; four output rows at once share each load of A.
            for i in stride(from: 0, to: 16, by: 4) {
                for j in stride(from: 0, to: 64, by: 16) {
                    var s0 = PDQLanes()
                    var s1 = PDQLanes()
                    var s2 = PDQLanes()
                    var s3 = PDQLanes()
                    for k in 0..<64 {
                        let column = load(a + k * 64 + j)
                        s0 += PDQLanes(repeating: d[i * 64 + k]) * column
                        s1 += PDQLanes(repeating: d[(i + 1) * 64 + k]) * column
                        s2 += PDQLanes(repeating: d[(i + 2) * 64 + k]) * column
                        s3 += PDQLanes(repeating: d[(i + 3) * 64 + k]) * column
                    }
                    store(s0, t + i * 64 + j)
                    store(s1, t + (i + 1) * 64 + j)
                    store(s2, t + (i + 2) * 64 + j)
                    store(s3, t + (i + 3) * 64 + j)
                }
            }
        }
        transposedMatrix.withUnsafeBufferPointer { dt in
            // B[i][j] = Σₖ T[i][k] · D[j][k]; lanes run over j.
            for i in stride(from: 0, to: 16, by: 2) {
                var s0 = PDQLanes()
                var s1 = PDQLanes()
                for k in 0..<64 {
                    let row = load(dt.baseAddress! + k * 16)
                    s0 += PDQLanes(repeating: t[i * 64 + k]) * row
                    s1 += PDQLanes(repeating: t[(i + 1) * 64 + k]) * row
                }
                store(s0, b + i * 16)
                store(s1, b + (i + 1) * 16)
            }
        }
    }

    /// The reference's quality: Σ |(int)(((u − v)·100)/255)| over vertical and horizontal neighbours
    /// of the 64×64 image, divided by 90 (integer division), capped at 100.
    static func quality(_ a: UnsafePointer<Float>) -> Int {
        // Each |d| is a whole number below 2²², so Float sums stay exact (8 064 terms of at most 100
        // for luma in 0…255); garbage luma only saturates the cap.
        var total = PDQLanes()
        for i in 0..<64 {
            let row = a + i * 64
            for j in Swift.stride(from: 0, to: 64, by: 16) {
                if i < 63 {
                    total += gradient(load(row + j), load(row + 64 + j))
                }
                // Horizontal pairs (j, j+1) exist for j < 63; the last lane of the last chunk has none.
                if j < 48 {
                    total += gradient(load(row + j), load(row + j + 1))
                } else {
                    var step = gradient(load(row + j), rotatedLeft(load(row + j)))
                    step[15] = 0
                    total += step
                }
            }
        }
        return min(Int(total.sum()) / 90, 100)
    }

    /// Lanes shifted down by one (lane 15 gets lane 0; callers discard it).
    @inline(__always) private static func rotatedLeft(_ v: PDQLanes) -> PDQLanes {
        PDQLanes(
            v[1],
            v[2],
            v[3],
            v[4],
            v[5],
            v[6],
            v[7],
            v[8],
            v[9],
            v[10],
            v[11],
            v[12],
            v[13],
            v[14],
            v[15],
            v[0]
        )
    }

    /// `|(int)(((u − v)·100)/255)|` lane by lane, as a Float; lanes that are not finite or over 10⁶
    /// (only from garbage luma) count 10⁶.
    @inline(__always) private static func gradient(_ u: PDQLanes, _ v: PDQLanes) -> PDQLanes {
        let d = ((u - v) * 100) / 255
        var magnitude = d.replacing(with: 0, where: d .< 0) - d.replacing(with: 0, where: d .> 0)
        magnitude.replace(with: 1e6, where: .!(magnitude .< 1e6))
        // Truncation without a float-to-int conversion: round to integer by the 2²³ trick, then step
        // down where that rounded up (for 0 ≤ x < 2²² floor is truncation).
        var whole = (magnitude + 8_388_608) - 8_388_608
        whole.replace(with: whole - 1, where: whole .> magnitude)
        return whole
    }

    @inline(__always) private static func load(_ pointer: UnsafePointer<Float>) -> PDQLanes {
        UnsafeRawPointer(pointer).loadUnaligned(as: PDQLanes.self)
    }

    @inline(__always) private static func store(_ value: PDQLanes, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: PDQLanes.self)
    }
}
