import PerceptualHashing
import Testing

@Suite struct HashValueTests {
    @Test func pdqHexRoundTripsAndNumbersBitsFromTheLeastSignificantEnd() throws {
        let hex = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22"
        let hash = try Hash256(hex: hex)
        #expect(hash.hex == hex)
        // The last hex digit is 2 (0b0010): bit 1 set, bit 0 clear.
        #expect(hash[bit: 1])
        #expect(!hash[bit: 0])
        // The first hex digit is d (0b1101): bit 255 set, bit 253 clear.
        #expect(hash[bit: 255])
        #expect(!hash[bit: 253])
    }

    @Test func imagehashHexPutsTheFirstGridCellInTheHighestBit() throws {
        var bits = [Bool](repeating: false, count: 64)
        bits[0] = true
        #expect(Hash64(bits: bits).hex == "8000000000000000")
        #expect(try Hash64(hex: "7F7F7FC744F8D050").hex == "7f7f7fc744f8d050")
    }

    @Test(arguments: [
        ("", HashParseError.wrongLength(expected: 64, found: 0)),
        (String(repeating: "a", count: 32), .wrongLength(expected: 64, found: 32)),
        (String(repeating: "a", count: 63) + "g", .notHex(position: 63)),
    ])
    func badPDQStringsAreRefused(text: String, error: HashParseError) {
        #expect(throws: error) { try Hash256(hex: text) }
    }

    @Test func distanceCountsDifferingBits() throws {
        let a = try Hash256(hex: String(repeating: "0", count: 64))
        let b = try Hash256(hex: "f" + String(repeating: "0", count: 62) + "1")
        #expect(a.distance(to: b) == 5)
        #expect(Hash64(0).distance(to: Hash64(.max)) == 64)
    }

    @Test func digestsParseByAlgorithm() throws {
        let md5 = try HashAlgorithm.md5.parse("D41D8CD98F00B204E9800998ECF8427E")
        #expect(md5.hex == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(throws: HashParseError.wrongLength(expected: 40, found: 32)) {
            try HashAlgorithm.sha1.parse("d41d8cd98f00b204e9800998ecf8427e")
        }
    }
}
