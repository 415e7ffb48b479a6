// HashSetsTests: tests arrive in the next commits.
