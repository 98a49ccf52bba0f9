"""`python -m reference.tools.plugin_check --child JOB` (or `--replay JOB`): the processes that run
the checks, and that replay one call alone (see child.py)."""
import sys

USAGE = "usage: python -m reference.tools.plugin_check --child JOB | --replay JOB (internal; use `plugref check`)"


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] in ("--child", "--replay"):
        from reference.tools.plugin_check.child import main as child_main, replay_main

        return (child_main if argv[0] == "--child" else replay_main)(argv[1])
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
