// ImageDecoding: sources arrive in the next commits.
