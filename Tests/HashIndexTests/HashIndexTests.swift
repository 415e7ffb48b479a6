// HashIndexTests: tests arrive in the next commits.
