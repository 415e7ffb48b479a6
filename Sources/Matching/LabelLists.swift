/// Hands out one shared copy of each distinct label list, so rows with the same labels (nearly all rows of a set:
/// its default labels) share one array buffer instead of holding a heap allocation each (≈ 50 bytes per row and one
/// `malloc` per row at load: 10M rows, 10M allocations).
struct LabelLists {
    private var known: [[String]: [String]] = [:]
    private var last: [String] = []

    /// `labels`, or an earlier equal list whose storage it then shares.
    mutating func shared(_ labels: [String]) -> [String] {
        if labels == last { return last }
        if let existing = known[labels] {
            last = existing
        } else {
            known[labels] = labels
            last = labels
        }
        return last
    }
}
