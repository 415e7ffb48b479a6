// Fingerprinting: sources arrive in the next commits.
