/// The index implementations, and the choice among them for a workload.
public enum IndexKind: String, Sendable, CaseIterable {
    /// `LinearScan`.
    case linearScan
    /// `BKTree`.
    case bkTree
    /// `MultiIndexHashing` with 16-bit slots.
    case multiIndexHashing

    /// The kind that searches fastest for `count` hashes of `bits` bits at `radius`.
    ///
    /// PROVISIONAL: replaced by measured crossovers.
    ///
    /// - Complexity: O(1).
    public static func recommended(bits: Int, count: Int, radius: Int) -> IndexKind {
        if count < 4_096 { return .linearScan }
        return .multiIndexHashing
    }
}
