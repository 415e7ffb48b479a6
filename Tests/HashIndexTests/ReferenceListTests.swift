import Foundation
import HashIndex
import PerceptualHashing
import TestSupport
import Testing

/// The hash lists Meta's PDQ index tests use (`pdq/index-data`): real PDQ hashes with near-duplicates.
@Suite("Meta's PDQ index reference lists", .enabled(if: Vectors.sharedAvailable, "shared vectors absent"))
struct ReferenceListTests {
    /// Lines are `hash,key=value,...` or bare hex.
    private static func hashes(_ name: String) throws -> [Hash256] {
        let text = try String(contentsOf: Vectors.shared("pdq/index-data/\(name)"), encoding: .utf8)
        return try text.split(whereSeparator: \.isNewline).filter { !$0.isEmpty }.map {
            try Hash256(hex: $0.split(separator: ",")[0])
        }
    }

    @Test(arguments: IndexKind.allCases, [0, 10, 31, 48])
    func haystackNeedles(kind: IndexKind, radius: Int) throws {
        let haystack = try Self.hashes("haystack.txt")
        let needles = try Self.hashes("needles.txt")
        #expect(haystack.count > 1_000 && needles.count > 50)
        let entries = haystack.enumerated().map { (hash: $0.element, id: UInt32($0.offset)) }
        let index: any HammingIndex<Hash256> =
            switch kind {
            case .linearScan: LinearScan(entries: entries)
            case .bkTree: BKTree(entries: entries)
            case .multiIndexHashing: MultiIndexHashing(entries: entries)
            }
        var total = 0
        for needle in needles {
            let found = index.search(needle, radius: radius).sorted { $0.id < $1.id }
            let expected = haystack.enumerated().compactMap { row, hash -> IndexHit? in
                let d = hash.distance(to: needle)
                return d <= radius ? IndexHit(id: UInt32(row), distance: d) : nil
            }
            #expect(found == expected)
            total += expected.count
        }
        // The lists are built so that needles do find something at PDQ's threshold.
        if radius >= 31 { #expect(total > 0) }
    }

    @Test func shortAndLongLists() throws {
        for name in ["short256.dat", "long256.dat", "order256.dat"] {
            let hashes = try Self.hashes(name)
            let entries = hashes.enumerated().map { (hash: $0.element, id: UInt32($0.offset)) }
            let index = MultiIndexHashing(entries: entries)
            for (row, hash) in hashes.enumerated() {
                #expect(index.search(hash, radius: 0).contains(IndexHit(id: UInt32(row), distance: 0)))
            }
        }
    }
}
