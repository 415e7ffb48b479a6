// HashSets: sources arrive in the next commits.
