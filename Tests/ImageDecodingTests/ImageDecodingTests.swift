// ImageDecodingTests: tests arrive in the next commits.
