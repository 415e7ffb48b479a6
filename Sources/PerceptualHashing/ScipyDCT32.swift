#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The unnormalised DCT-II of 32 values, computed with the very operations, in the very order,
/// that SciPy's `scipy.fftpack.dct(x, type=2)` performs (pocketfft's `T_dcst23` over its real
/// backward FFT with factors 2·4·4).
///
/// A textbook sum `2·Σ x[n]·cos(πk(2n+1)/64)` gives the same numbers up to rounding, but pHash
/// compares coefficients against their median, and on images with symmetries (checkerboards,
/// centred shapes, flat areas) several coefficients are equal, or zero, in exact arithmetic. Which
/// of them ends up above the median is then decided by rounding noise, so only the same sequence of
/// floating-point operations reproduces imagehash's bits.
enum ScipyDCT32 {
    static let count = 32

    /// Transforms `values[0..<32]` in place; `scratch` must hold 32 doubles.
    static func transform(_ values: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>) {
        let n = count
        let c = values
        // T_dcst23::exec, type 2, cosine, not orthonormal, fct = 1.
        c[0] *= 2
        c[n - 1] *= 2
        for k in stride(from: 1, to: n - 1, by: 2) {
            let t = c[k + 1]
            c[k + 1] = t - c[k]
            c[k] = t + c[k]
        }
        backwardRealFFT(c, scratch: scratch)
        let twiddle = Tables.dctTwiddle
        for k in 1..<(n + 1) / 2 {
            let kc = n - k
            let t1 = twiddle[k - 1] * c[kc] + twiddle[kc - 1] * c[k]
            let t2 = twiddle[k - 1] * c[k] - twiddle[kc - 1] * c[kc]
            c[k] = 0.5 * (t1 + t2)
            c[kc] = 0.5 * (t1 - t2)
        }
        c[(n + 1) / 2] *= twiddle[(n + 1) / 2 - 1]
    }

    /// pocketfft's `rfftp<double>(32).exec(c, 1, false)`: radb2, radb4, radb4, result copied back.
    private static func backwardRealFFT(_ c: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>) {
        Tables.radix2Twiddle.withUnsafeBufferPointer { tw0 in
            Tables.radix4Twiddle.withUnsafeBufferPointer { tw1 in
                radb2(ido: 16, l1: 1, cc: c, ch: scratch, wa: tw0.baseAddress!)
                radb4(ido: 4, l1: 2, cc: scratch, ch: c, wa: tw1.baseAddress!)
                radb4(ido: 1, l1: 8, cc: c, ch: scratch, wa: tw1.baseAddress!)
            }
        }
        c.update(from: scratch, count: count)
    }

    private static func radb2(
        ido: Int,
        l1: Int,
        cc: UnsafeMutablePointer<Double>,
        ch: UnsafeMutablePointer<Double>,
        wa: UnsafePointer<Double>
    ) {
        func input(_ a: Int, _ b: Int, _ c: Int) -> Double { cc[a + ido * (b + 2 * c)] }
        func out(_ a: Int, _ b: Int, _ c: Int) -> Int { a + ido * (b + l1 * c) }
        for k in 0..<l1 {
            ch[out(0, k, 0)] = input(0, 0, k) + input(ido - 1, 1, k)
            ch[out(0, k, 1)] = input(0, 0, k) - input(ido - 1, 1, k)
        }
        if ido & 1 == 0 {
            for k in 0..<l1 {
                ch[out(ido - 1, k, 0)] = 2 * input(ido - 1, 0, k)
                ch[out(ido - 1, k, 1)] = -2 * input(0, 1, k)
            }
        }
        if ido <= 2 { return }
        for k in 0..<l1 {
            for i in stride(from: 2, to: ido, by: 2) {
                let ic = ido - i
                ch[out(i - 1, k, 0)] = input(i - 1, 0, k) + input(ic - 1, 1, k)
                let tr2 = input(i - 1, 0, k) - input(ic - 1, 1, k)
                let ti2 = input(i, 0, k) + input(ic, 1, k)
                ch[out(i, k, 0)] = input(i, 0, k) - input(ic, 1, k)
                let wr = wa[i - 2]
                let wi = wa[i - 1]
                ch[out(i, k, 1)] = wr * ti2 + wi * tr2
                ch[out(i - 1, k, 1)] = wr * tr2 - wi * ti2
            }
        }
    }

    private static func radb4(
        ido: Int,
        l1: Int,
        cc: UnsafeMutablePointer<Double>,
        ch: UnsafeMutablePointer<Double>,
        wa: UnsafePointer<Double>
    ) {
        let sqrt2 = 1.414213562373095048801688724209698
        func input(_ a: Int, _ b: Int, _ c: Int) -> Double { cc[a + ido * (b + 4 * c)] }
        func out(_ a: Int, _ b: Int, _ c: Int) -> Int { a + ido * (b + l1 * c) }
        func weight(_ x: Int, _ i: Int) -> Double { wa[i + x * (ido - 1)] }
        for k in 0..<l1 {
            let tr2 = input(0, 0, k) + input(ido - 1, 3, k)
            let tr1 = input(0, 0, k) - input(ido - 1, 3, k)
            let tr3 = 2 * input(ido - 1, 1, k)
            let tr4 = 2 * input(0, 2, k)
            ch[out(0, k, 0)] = tr2 + tr3
            ch[out(0, k, 2)] = tr2 - tr3
            ch[out(0, k, 3)] = tr1 + tr4
            ch[out(0, k, 1)] = tr1 - tr4
        }
        if ido & 1 == 0 {
            for k in 0..<l1 {
                let ti1 = input(0, 3, k) + input(0, 1, k)
                let ti2 = input(0, 3, k) - input(0, 1, k)
                let tr2 = input(ido - 1, 0, k) + input(ido - 1, 2, k)
                let tr1 = input(ido - 1, 0, k) - input(ido - 1, 2, k)
                ch[out(ido - 1, k, 0)] = tr2 + tr2
                ch[out(ido - 1, k, 1)] = sqrt2 * (tr1 - ti1)
                ch[out(ido - 1, k, 2)] = ti2 + ti2
                ch[out(ido - 1, k, 3)] = -sqrt2 * (tr1 + ti1)
            }
        }
        if ido <= 2 { return }
        for k in 0..<l1 {
            for i in stride(from: 2, to: ido, by: 2) {
                let ic = ido - i
                let tr2 = input(i - 1, 0, k) + input(ic - 1, 3, k)
                let tr1 = input(i - 1, 0, k) - input(ic - 1, 3, k)
                let ti1 = input(i, 0, k) + input(ic, 3, k)
                let ti2 = input(i, 0, k) - input(ic, 3, k)
                let tr4 = input(i, 2, k) + input(ic, 1, k)
                let ti3 = input(i, 2, k) - input(ic, 1, k)
                let tr3 = input(i - 1, 2, k) + input(ic - 1, 1, k)
                let ti4 = input(i - 1, 2, k) - input(ic - 1, 1, k)
                ch[out(i - 1, k, 0)] = tr2 + tr3
                let cr3 = tr2 - tr3
                ch[out(i, k, 0)] = ti2 + ti3
                let ci3 = ti2 - ti3
                let cr4 = tr1 + tr4
                let cr2 = tr1 - tr4
                let ci2 = ti1 + ti4
                let ci4 = ti1 - ti4
                ch[out(i, k, 1)] = weight(0, i - 2) * ci2 + weight(0, i - 1) * cr2
                ch[out(i - 1, k, 1)] = weight(0, i - 2) * cr2 - weight(0, i - 1) * ci2
                ch[out(i, k, 2)] = weight(1, i - 2) * ci3 + weight(1, i - 1) * cr3
                ch[out(i - 1, k, 2)] = weight(1, i - 2) * cr3 - weight(1, i - 1) * ci3
                ch[out(i, k, 3)] = weight(2, i - 2) * ci4 + weight(2, i - 1) * cr4
                ch[out(i - 1, k, 3)] = weight(2, i - 2) * cr4 - weight(2, i - 1) * ci4
            }
        }
    }

    /// The twiddle factors, computed once exactly as pocketfft computes them.
    private enum Tables {
        /// `T_dcst23` twiddles: the real parts of roots 1…32 of `sincos_2pibyn(128)`.
        static let dctTwiddle: [Double] = {
            let roots = UnitRoots(128)
            return (0..<32).map { roots[$0 + 1].re }
        }()

        /// `rfftp::comp_twiddle` for the first factor (ip 2, l1 1, ido 16).
        static let radix2Twiddle: [Double] = twiddles(ip: 2, l1: 1, ido: 16)

        /// `rfftp::comp_twiddle` for the second factor (ip 4, l1 2, ido 4).
        static let radix4Twiddle: [Double] = twiddles(ip: 4, l1: 2, ido: 4)

        private static func twiddles(ip: Int, l1: Int, ido: Int) -> [Double] {
            let roots = UnitRoots(32)
            var table = [Double](repeating: 0, count: (ip - 1) * (ido - 1))
            for j in 1..<ip {
                for i in stride(from: 1, through: (ido - 1) / 2, by: 1) {
                    let root = roots[j * l1 * i]
                    table[(j - 1) * (ido - 1) + 2 * i - 2] = root.re
                    table[(j - 1) * (ido - 1) + 2 * i - 1] = root.im
                }
            }
            return table
        }
    }

    /// pocketfft's `sincos_2pibyn<double>`: `exp(2πi·k/n)` from two small tables, each entry
    /// reduced to the first octant before calling `cos`/`sin`.
    private struct UnitRoots {
        private let n: Int
        private let mask: Int
        private let shift: Int
        private var v1: [(re: Double, im: Double)]
        private var v2: [(re: Double, im: Double)]

        init(_ n: Int) {
            self.n = n
            // 0.25L·π/n in long double, rounded to double; exact for the powers of two used here.
            let angle = 0.25 * Double.pi / Double(n)
            let nval = (n + 2) / 2
            var shift = 1
            while (1 << shift) * (1 << shift) < nval { shift += 1 }
            self.shift = shift
            mask = (1 << shift) - 1
            v1 = [(1, 0)]
            for i in stride(from: 1, through: mask, by: 1) { v1.append(Self.calc(i, n, angle)) }
            v2 = [(1, 0)]
            for i in stride(from: 1, to: (nval + mask) / (mask + 1), by: 1) {
                v2.append(Self.calc(i * (mask + 1), n, angle))
            }
        }

        subscript(index: Int) -> (re: Double, im: Double) {
            if 2 * index <= n {
                let x1 = v1[index & mask]
                let x2 = v2[index >> shift]
                return (x1.re * x2.re - x1.im * x2.im, x1.re * x2.im + x1.im * x2.re)
            }
            let mirrored = n - index
            let x1 = v1[mirrored & mask]
            let x2 = v2[mirrored >> shift]
            return (x1.re * x2.re - x1.im * x2.im, -(x1.re * x2.im + x1.im * x2.re))
        }

        private static func calc(_ index: Int, _ n: Int, _ angle: Double) -> (re: Double, im: Double) {
            var x = index << 3
            if x < 4 * n {
                if x < 2 * n {
                    if x < n { return (cos(Double(x) * angle), sin(Double(x) * angle)) }
                    return (sin(Double(2 * n - x) * angle), cos(Double(2 * n - x) * angle))
                }
                x -= 2 * n
                if x < n { return (-sin(Double(x) * angle), cos(Double(x) * angle)) }
                return (-cos(Double(2 * n - x) * angle), sin(Double(2 * n - x) * angle))
            }
            x = 8 * n - x
            if x < 2 * n {
                if x < n { return (cos(Double(x) * angle), -sin(Double(x) * angle)) }
                return (sin(Double(2 * n - x) * angle), -cos(Double(2 * n - x) * angle))
            }
            x -= 2 * n
            if x < n { return (-sin(Double(x) * angle), -cos(Double(x) * angle)) }
            return (-cos(Double(2 * n - x) * angle), -sin(Double(2 * n - x) * angle))
        }
    }
}
