"""The Falco layer: falco.yaml, rules files, the alert engine, and what `plugref run` does."""
