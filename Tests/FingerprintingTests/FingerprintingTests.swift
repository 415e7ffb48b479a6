// FingerprintingTests: tests arrive in the next commits.
