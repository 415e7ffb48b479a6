import Fingerprinting
import Matching
import PerceptualHashing

/// The record printed for one input: its path, what was computed, and any error.
struct FingerprintRecord {
    let path: String
    let fingerprint: Fingerprint?
    /// Set when the file could not be read or decoded.
    let errorCode: String?
    let errorMessage: String?
    /// Found in a folder, neither JPEG nor PNG: digests only.
    let notAnImage: Bool

    /// A file found inside a folder that is not a JPEG or PNG is no error: its digests are still computed
    /// (a digest list can name any file), and it is marked `not_an_image` instead.
    init(input: InputFile, fingerprint: Fingerprint) {
        self.path = input.path
        self.fingerprint = fingerprint
        if case .unknownFormat = fingerprint.decodeError, !input.explicit {
            self.errorCode = nil
            self.errorMessage = nil
            self.notAnImage = true
        } else {
            self.errorCode = fingerprint.decodeError?.code
            self.errorMessage = fingerprint.decodeError?.message
            self.notAnImage = false
        }
    }

    init(path: String, readError: InputFile.ReadError) {
        self.path = path
        self.fingerprint = nil
        self.notAnImage = false
        self.errorCode = readError.code
        self.errorMessage = readError.message
    }

    var failed: Bool { errorCode != nil }

    /// `path`, `width`, `height`, one key per algorithm (lowercase hex), `pdq_quality`, dihedral variants,
    /// then `error: {code, message}` when something failed. Digests of undecodable files are kept.
    func jsonMembers() -> [(String, JSONValue)] {
        var members: [(String, JSONValue)] = [("path", .string(path))]
        if let fingerprint { members += fingerprint.jsonMembers }
        if notAnImage { members.append(("not_an_image", .bool(true))) }
        if let errorCode, let errorMessage {
            members.append(("error", .object([("code", .string(errorCode)), ("message", .string(errorMessage))])))
        }
        return members
    }

    /// CSV/table columns for `algorithms`, in the order of `columnNames(algorithms:)`.
    func columns(algorithms: [HashAlgorithm]) -> [String] {
        var row = [path, fingerprint?.width.map(String.init) ?? "", fingerprint?.height.map(String.init) ?? ""]
        for algorithm in algorithms {
            row.append(fingerprint?.value(for: algorithm)?.hex ?? "")
            if algorithm == .pdq { row.append(fingerprint?.pdq.map { String($0.quality) } ?? "") }
        }
        row += [errorCode ?? "", errorMessage ?? ""]
        return row
    }

    static func columnNames(algorithms: [HashAlgorithm]) -> [String] {
        var names = ["path", "width", "height"]
        for algorithm in algorithms {
            names.append(algorithm.rawValue)
            if algorithm == .pdq { names.append("pdq_quality") }
        }
        return names + ["error_code", "error_message"]
    }
}
