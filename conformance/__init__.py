"""The plugref conformance suite: the clause catalogue, Hypothesis strategies and properties."""
