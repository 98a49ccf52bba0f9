"""`python -m reference.tools.plugin_check --child JOB`: the process that runs the checks (see child.py)."""
import sys

if len(sys.argv) == 3 and sys.argv[1] == "--child":
    from reference.tools.plugin_check.child import main

    sys.exit(main(sys.argv[2]))
print("usage: python -m reference.tools.plugin_check --child JOB (internal; use `plugref check`)", file=sys.stderr)
sys.exit(2)
