import PerceptualHashing

/// python-threatexchange signal type names, mapped to hashmatch algorithms.
enum ThreatExchangeSignalType {
    /// The algorithm for a signal type name, or the reason it cannot be imported.
    ///
    /// `pdq` is the photo PDQ signal. hashmatch's own algorithm names are accepted too, so lists
    /// written by hand or by hashmatch's exporter read back. Video, text and URL signals
    /// (`video_md5`, `vpdq`, `raw_text`, `url`, …) and PhotoDNA (proprietary) are not image hashes
    /// hashmatch computes.
    static func algorithm(for name: Substring) -> Result<HashAlgorithm, HashTextError> {
        let lowered = name.lowercased()
        if let algorithm = HashAlgorithm(rawValue: lowered) { return .success(algorithm) }
        return .failure(
            HashTextError(
                "signal type '\(name)' is not supported (hashmatch matches image hashes: \(supportedAlgorithmList))"
            )
        )
    }
}
