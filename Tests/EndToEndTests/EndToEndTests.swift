// EndToEndTests: tests arrive in the next commits.
