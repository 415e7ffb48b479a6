import Fingerprinting
import Foundation
import PerceptualHashing
import TestSupport
import Testing

/// pHash, dHash, aHash (and PDQ) of real photographs, compared with Python imagehash 4.3.2 on Pillow 13
/// and pdqhash, as `../shared/vectors/imagehash/expected.csv` lists them.
@Suite(.enabled(if: Vectors.sharedAvailable, "needs ../shared/vectors"))
struct ImageHashReferenceTests {
    static let rows: [[String]] = {
        guard Vectors.sharedAvailable else { return [] }
        return (try? Vectors.csvRows(Vectors.shared("imagehash/expected.csv"), header: true)) ?? []
    }()

    @Test(arguments: rows.map { $0[0] })
    func sameHexAsImagehash(file: String) throws {
        let row = try #require(Self.rows.first { $0[0] == file })
        var fingerprinter = Fingerprinter()
        let fingerprint = fingerprinter.fingerprint(
            [UInt8](try Data(contentsOf: Vectors.shared("imagehash/images/\(file)")))
        )
        #expect(fingerprint.decodeError == nil)
        #expect(fingerprint.ahash?.hex == row[1], "ahash")
        #expect(fingerprint.phash?.hex == row[2], "phash")
        #expect(fingerprint.dhash?.hex == row[3], "dhash")
        #expect(fingerprint.pdq?.hash.hex == row[6], "pdq")
        #expect(fingerprint.pdq?.quality == Int(row[7]), "pdq quality")
        #expect(fingerprint.width == Int(row[8]) && fingerprint.height == Int(row[9]))
    }
}
