import PerceptualHashing

/// A named collection of hashes with its settings: one `.hashset` file, one source list.
///
/// Entries keep the order they were added in. Lookups by id and by hash are O(1); removal
/// leaves a hole that `entries` skips, so a long history of tombstones costs memory until
/// the file is compacted.
public struct HashSet: Sendable {
    /// The set's name (the file stem of its `.hashset` file).
    public var name: String
    /// Thresholds, enabled algorithms, default labels, description.
    public var settings: HashSetSettings

    private var slots: [HashSetEntry?] = []
    private var slotByID: [String: Int] = [:]
    private var slotsByHash: [HashKey: [Int]] = [:]
    /// Number of live entries.
    public private(set) var count = 0

    /// Creates a set, adding `entries` in order (later duplicates of an id are dropped).
    public init(name: String, settings: HashSetSettings = HashSetSettings(), entries: [HashSetEntry] = []) {
        self.name = name
        self.settings = settings
        for entry in entries { apply(.add(entry)) }
    }

    /// The live entries in the order they were added.
    ///
    /// - Complexity: O(number of entries ever added since the set was built).
    public var entries: [HashSetEntry] { slots.compactMap { $0 } }

    /// Whether the set holds no entries.
    public var isEmpty: Bool { count == 0 }

    /// The entry with this id, if any.
    public func entry(id: String) -> HashSetEntry? {
        slotByID[id].flatMap { slots[$0] }
    }

    /// The entries holding exactly this hash.
    public func entries(algorithm: HashAlgorithm, value: HashValue) -> [HashSetEntry] {
        (slotsByHash[HashKey(algorithm: algorithm, value: value)] ?? []).compactMap { slots[$0] }
    }

    /// The labels a match on `entry` reports: the set's default labels, then the entry's own, without repeats.
    public func labels(for entry: HashSetEntry) -> [String] { settings.labels(for: entry) }

    /// What applying one change did.
    public enum Outcome: Hashable, Sendable {
        /// The entry was added.
        case added
        /// This many entries were removed (0 when the tombstone named nothing present).
        case removed(Int)
        /// An identical entry (same id, hash and labels) was already present; nothing changed.
        case unchanged
        /// Another entry already uses this id; nothing changed.
        case duplicateID(existing: HashSetEntry)
    }

    /// Applies one change.
    ///
    /// Adding an id that is already present changes nothing: an identical entry is `.unchanged`
    /// (re-importing a list is idempotent), a different one is `.duplicateID` (ids are unique per set;
    /// remove the old entry first to replace it).
    @discardableResult
    public mutating func apply(_ change: HashSetChange) -> Outcome {
        switch change {
        case .add(let entry):
            if let slot = slotByID[entry.id], let existing = slots[slot] {
                return existing == entry ? .unchanged : .duplicateID(existing: existing)
            }
            let slot = slots.count
            slots.append(entry)
            slotByID[entry.id] = slot
            slotsByHash[HashKey(algorithm: entry.algorithm, value: entry.value), default: []].append(slot)
            count += 1
            return .added
        case .remove(.id(let id)):
            guard let slot = slotByID[id], let entry = slots[slot] else { return .removed(0) }
            removeSlot(slot, entry: entry)
            return .removed(1)
        case .remove(.hash(let algorithm, let value)):
            let key = HashKey(algorithm: algorithm, value: value)
            let live = (slotsByHash[key] ?? []).filter { slots[$0] != nil }
            for slot in live {
                if let entry = slots[slot] { removeSlot(slot, entry: entry) }
            }
            return .removed(live.count)
        }
    }

    private mutating func removeSlot(_ slot: Int, entry: HashSetEntry) {
        slots[slot] = nil
        slotByID[entry.id] = nil
        let key = HashKey(algorithm: entry.algorithm, value: entry.value)
        slotsByHash[key]?.removeAll { $0 == slot }
        if slotsByHash[key]?.isEmpty == true { slotsByHash[key] = nil }
        count -= 1
    }
}

/// The identity of a hash across algorithms (pHash, dHash and aHash share `HashValue.hash64`).
struct HashKey: Hashable, Sendable {
    var algorithm: HashAlgorithm
    var value: HashValue
}
