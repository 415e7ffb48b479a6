// MatchingTests: tests arrive in the next commits.
