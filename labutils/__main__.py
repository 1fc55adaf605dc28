"""``python -m labutils COMMAND``: ``doctor`` (environment report) or ``serve`` (model server)."""

import sys

COMMANDS = {
    "doctor": "environment report with a verdict",
    "serve": "serve .keras / SavedModel models over TensorFlow Serving's REST API",
}


def main(argv: list[str]) -> int:
    """Dispatch to the command named by ``argv[0]``; list the valid ones otherwise."""
    valid = ", ".join(f"{k} ({v})" for k, v in COMMANDS.items())
    if argv and argv[0] in ("-h", "--help"):
        print(f"usage: python -m labutils COMMAND [ARGS]; commands: {valid}")
        return 0
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python -m labutils COMMAND; valid commands: {valid}", file=sys.stderr)
        return 2
    if argv[0] == "serve":
        from labutils.serve.cli import main as serve

        return serve(argv[1:])
    from labutils.doctor import main as doctor

    return doctor(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
