"""``python -m labutils.data``: verify every registered data file and print one line."""

from __future__ import annotations

from labutils.data.registry import data_dir, verify_all


def main() -> int:
    """Verify shipped and packaged files; exit 0 when all match, 1 on the first bad one."""
    try:
        count = verify_all()
    except Exception as exc:  # DataIntegrityError, DatasetUnavailableError
        print(f"FAILED: {exc}")
        return 1
    print(f"{count} data files verified (sha256) in {data_dir()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
