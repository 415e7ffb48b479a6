// PerceptualHashingTests: tests arrive in the next commits.
