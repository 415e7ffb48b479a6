// HashIndex: sources arrive in the next commits.
