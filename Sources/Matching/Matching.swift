// Matching: sources arrive in the next commits.
