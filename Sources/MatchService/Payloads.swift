import Fingerprinting
import Foundation
import HashSets
import Matching
import PerceptualHashing

/// The JSON bodies of responses (the CLI's record shapes, without `path`) and of the JSON requests.
enum Payloads {
    /// The hash members, then `matches` and any `notes`.
    static func matchMembers(_ fingerprint: Fingerprint, _ outcome: MatchOutcome) -> [(String, JSONValue)] {
        fingerprint.jsonMembers + outcome.jsonMembers
    }

    /// One hash to look up.
    struct LookupItem: Decodable {
        var algorithm: String
        var hash: String
    }

    /// A lookup payload: a JSON array of `{algorithm, hash}`, or `{"hashes": [...]}`.
    static func lookupItems(_ bytes: [UInt8]) throws(ServiceError) -> [(HashAlgorithm, HashValue)] {
        struct Wrapped: Decodable { var hashes: [LookupItem] }
        let items: [LookupItem]
        if let array = try? JSONDecoder().decode([LookupItem].self, from: Data(bytes)) {
            items = array
        } else if let wrapped = try? JSONDecoder().decode(Wrapped.self, from: Data(bytes)) {
            items = wrapped.hashes
        } else {
            throw ServiceError(.badRequest, "lookup needs a JSON array of {\"algorithm\": …, \"hash\": …} objects")
        }
        var parsed: [(HashAlgorithm, HashValue)] = []
        for (index, item) in items.enumerated() {
            parsed.append(try parseHash(algorithm: item.algorithm, hex: item.hash, index: index))
        }
        return parsed
    }

    static func parseHash(
        algorithm name: String,
        hex: String,
        index: Int
    ) throws(ServiceError) -> (
        HashAlgorithm, HashValue
    ) {
        guard let algorithm = HashAlgorithm(rawValue: name.lowercased()) else {
            let known = HashAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")
            throw ServiceError(.badHash, "item \(index): unknown algorithm \"\(name)\" (known: \(known))")
        }
        do {
            return (algorithm, try algorithm.parse(hex))
        } catch {
            throw ServiceError(
                .badHash,
                "item \(index): \"\(hex.prefix(80))\" is not a \(algorithm.rawValue) hash (\(algorithm.hexLength) hex digits)"
            )
        }
    }

    /// An add-entries payload: `{"set": name, "entries": [{"id"?, "algorithm", "hash", "labels"?}]}`.
    static func addEntries(_ bytes: [UInt8]) throws(ServiceError) -> (set: String, entries: [HashSetEntry]) {
        struct Item: Decodable {
            var id: String?
            var algorithm: String
            var hash: String
            var labels: [String]?
        }
        struct Body: Decodable {
            var set: String
            var entries: [Item]
        }
        guard let body = try? JSONDecoder().decode(Body.self, from: Data(bytes)) else {
            throw ServiceError(
                .badRequest,
                "add entries needs {\"set\": name, \"entries\": [{\"id\", \"algorithm\", \"hash\", \"labels\"}]}"
            )
        }
        var entries: [HashSetEntry] = []
        for (index, item) in body.entries.enumerated() {
            let (algorithm, value) = try parseHash(algorithm: item.algorithm, hex: item.hash, index: index)
            let id = item.id ?? HashSetEntry.derivedID(algorithm: algorithm, value: value)
            let labels = item.labels ?? []
            guard !id.isEmpty, !labels.contains("") else {
                throw ServiceError(.badRequest, "item \(index): ids and labels must not be empty")
            }
            entries.append(HashSetEntry(id: id, algorithm: algorithm, value: value, labels: labels))
        }
        return (body.set, entries)
    }

    /// A remove-entries payload: `{"set": name, "ids": [...]}`.
    static func removeEntries(_ bytes: [UInt8]) throws(ServiceError) -> (set: String, ids: [String]) {
        struct Body: Decodable {
            var set: String
            var ids: [String]
        }
        guard let body = try? JSONDecoder().decode(Body.self, from: Data(bytes)) else {
            throw ServiceError(.badRequest, "remove entries needs {\"set\": name, \"ids\": [id, …]}")
        }
        return (body.set, body.ids)
    }
}
