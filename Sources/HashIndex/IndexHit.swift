/// One entry found by a single-query search.
public struct IndexHit: Hashable, Sendable {
    /// The id the entry was inserted with (the caller's row number).
    public var id: UInt32
    /// Hamming distance between the query and the entry.
    public var distance: Int

    /// Creates a hit.
    public init(id: UInt32, distance: Int) {
        self.id = id
        self.distance = distance
    }
}

/// One entry found by a multi-query search (`searchAny`): the entry is reported once, with the query that came
/// closest to it.
public struct MultiQueryHit: Hashable, Sendable {
    /// The id the entry was inserted with.
    public var id: UInt32
    /// The smallest distance between the entry and any of the queries.
    public var distance: Int
    /// Position in the query array of the query at that distance (the lowest position on ties).
    public var query: Int

    /// Creates a hit.
    public init(id: UInt32, distance: Int, query: Int) {
        self.id = id
        self.distance = distance
        self.query = query
    }
}
