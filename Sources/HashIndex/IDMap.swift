/// Maps entry ids to a storage location (a `UInt32`), so `remove(id:)` finds its entry in O(1).
///
/// Ids are normally the caller's row numbers, so the map is a dense array indexed by id; an id far beyond
/// the number of entries (which would make the array huge) switches it to a dictionary for good.
struct IDMap: Sendable {
    private static let absent = UInt32.max
    private var dense: [UInt32] = []
    private var sparse: [UInt32: UInt32]? = nil

    init() {}

    /// Whether `id` may go into the dense array when the map holds `count` entries.
    private static func fitsDense(_ id: UInt32, count: Int) -> Bool {
        Int(id) < 2 * count + 65_536
    }

    /// The location of `id`, nil when absent.
    ///
    /// - Complexity: O(1).
    subscript(id: UInt32) -> UInt32? {
        if let sparse { return sparse[id] }
        let index = Int(id)
        guard index < dense.count else { return nil }
        let location = dense[index]
        return location == Self.absent ? nil : location
    }

    /// Records `location` for `id` (which must not be the absent marker); `count` is the number of entries after
    /// the change, used to decide whether the dense array may grow.
    ///
    /// - Complexity: amortised O(1).
    mutating func set(_ id: UInt32, _ location: UInt32, count: Int) {
        if sparse != nil {
            sparse![id] = location
            return
        }
        let index = Int(id)
        if index >= dense.count {
            guard Self.fitsDense(id, count: count) else {
                switchToSparse()
                sparse![id] = location
                return
            }
            let newCount = max(index + 1, dense.count * 2, 1024)
            dense.append(contentsOf: repeatElement(Self.absent, count: newCount - dense.count))
        }
        dense[index] = location
    }

    /// Forgets `id`.
    ///
    /// - Complexity: O(1).
    mutating func remove(_ id: UInt32) {
        if sparse != nil {
            sparse![id] = nil
        } else if Int(id) < dense.count {
            dense[Int(id)] = Self.absent
        }
    }

    /// Builds the map for `ids[i] → i`; returns nil when an id repeats.
    ///
    /// - Complexity: O(n).
    init?(locations ids: [UInt32]) {
        let maxID = ids.max() ?? 0
        if ids.isEmpty || Self.fitsDense(maxID, count: ids.count) {
            dense = [UInt32](repeating: Self.absent, count: ids.isEmpty ? 0 : Int(maxID) + 1)
            for (location, id) in ids.enumerated() {
                guard dense[Int(id)] == Self.absent else { return nil }
                dense[Int(id)] = UInt32(location)
            }
        } else {
            var map = [UInt32: UInt32](minimumCapacity: ids.count)
            for (location, id) in ids.enumerated() {
                guard map.updateValue(UInt32(location), forKey: id) == nil else { return nil }
            }
            sparse = map
        }
    }

    private mutating func switchToSparse() {
        var map = [UInt32: UInt32]()
        for (id, location) in dense.enumerated() where location != Self.absent {
            map[UInt32(id)] = location
        }
        dense = []
        sparse = map
    }
}
