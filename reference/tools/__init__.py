"""The tools built on the framework: `plugref inspect` (sysdig's job), `plugref check`, and the CLI."""
