/// The distinct label lists of a matcher's rows, each stored once: a row holds the index of its list (4 bytes, where
/// an array in every row took 8, plus a retain and a release whenever the rows were copied or freed).
///
/// Nearly all rows of a set share one list (its default labels), so the table stays small.
struct LabelLists: Sendable {
    private var lists: [[String]] = []
    private var index: [[String]: UInt32] = [:]
    private var last: (labels: [String], index: UInt32)?

    /// The index of `labels`, added when new.
    mutating func index(of labels: [String]) -> UInt32 {
        if let last, last.labels == labels { return last.index }
        let found: UInt32
        if let existing = index[labels] {
            found = existing
        } else {
            found = UInt32(lists.count)
            lists.append(labels)
            index[labels] = found
        }
        last = (labels, found)
        return found
    }

    /// The list at `index`.
    subscript(index: UInt32) -> [String] { lists[Int(index)] }
}
