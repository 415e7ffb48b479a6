/// A per-row column in chunks of 65,536 values.
///
/// The service changes a copy of the `Matcher` that readers still hold (copy-on-write), so a column held as one
/// array was copied whole by every admin change: at 10M rows, 80 MB of rows and 10 MB of row algorithms each time.
/// Here a copy shares every chunk, and a change copies the list of chunks (153 references at 10M) and the chunks it
/// writes to: appends touch the last one, marking a row dead touches that row's.
struct ChunkedColumn<Element: Sendable>: RandomAccessCollection, MutableCollection, Sendable {
    static var chunkShift: Int { 16 }
    static var chunkSize: Int { 1 << chunkShift }

    private var chunks: [[Element]] = []
    private(set) var count = 0

    /// An empty column.
    init() {}

    /// `count` copies of `value`.
    init(repeating value: Element, count: Int) {
        self.count = count
        chunks = stride(from: 0, to: count, by: Self.chunkSize).map {
            [Element](repeating: value, count: Swift.min(Self.chunkSize, count - $0))
        }
    }

    var startIndex: Int { 0 }
    var endIndex: Int { count }
    var indices: Range<Int> { 0..<count }

    subscript(position: Int) -> Element {
        get { chunks[position &>> Self.chunkShift][position & (Self.chunkSize - 1)] }
        set { chunks[position &>> Self.chunkShift][position & (Self.chunkSize - 1)] = newValue }
    }

    /// Appends a value.
    ///
    /// - Complexity: amortised O(1); O(chunk) when the last chunk is shared with a copy.
    mutating func append(_ element: Element) {
        if count & (Self.chunkSize - 1) == 0 {
            chunks.append([])
            chunks[chunks.count - 1].reserveCapacity(Self.chunkSize)
        }
        chunks[chunks.count - 1].append(element)
        count += 1
    }
}
