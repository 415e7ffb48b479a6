import PerceptualHashing

/// What a removal (a tombstone) takes out of a set.
public enum HashSetRemoval: Hashable, Sendable {
    /// The entry with this id (sources that delete by record id: NCMEC).
    case id(String)
    /// Every entry of this algorithm with this hash (sources that delete by hash: StopNCII, Tech Against Terrorism).
    case hash(HashAlgorithm, HashValue)
}

/// One step in the history of a set: the native format and every importer produce these, in order.
public enum HashSetChange: Hashable, Sendable {
    /// Adds an entry.
    case add(HashSetEntry)
    /// Removes entries; removing what is not there is not an error (tombstones are idempotent).
    case remove(HashSetRemoval)
}
