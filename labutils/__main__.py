"""``python -m labutils doctor`` (the only command for now)."""

import sys

COMMANDS = {"doctor": "environment report with a verdict"}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        valid = ", ".join(f"{k} ({v})" for k, v in COMMANDS.items())
        print(f"usage: python -m labutils COMMAND; valid commands: {valid}", file=sys.stderr)
        return 2
    from labutils.doctor import main as doctor

    return doctor(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
