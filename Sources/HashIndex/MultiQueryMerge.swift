/// Merges per-query hits whose `id` field holds a row: one hit per row, the smallest distance and the first query
/// attaining it, with the row replaced by its id. Shared by the indexes that search queries one at a time.
///
/// - Complexity: O(h log h) for h hits.
func mergeMultiHits(
    _ hits: inout [MultiQueryHit],
    into results: inout [MultiQueryHit],
    id: (Int) -> UInt32
) {
    hits.sort { ($0.id, $0.distance, $0.query) < ($1.id, $1.distance, $1.query) }
    var previous: UInt32? = nil
    for hit in hits where hit.id != previous {
        previous = hit.id
        results.append(MultiQueryHit(id: id(Int(hit.id)), distance: hit.distance, query: hit.query))
    }
}
