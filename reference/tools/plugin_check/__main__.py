"""`python -m reference.tools.plugin_check --child JOB` (or `--replay JOB`): the processes that run
the checks, and that replay one call alone (see child.py)."""
import sys

if len(sys.argv) == 3 and sys.argv[1] in ("--child", "--replay"):
    from reference.tools.plugin_check.child import main, replay_main

    sys.exit((main if sys.argv[1] == "--child" else replay_main)(sys.argv[2]))
print("usage: python -m reference.tools.plugin_check --child JOB | --replay JOB (internal; use `plugref check`)",
      file=sys.stderr)
sys.exit(2)
