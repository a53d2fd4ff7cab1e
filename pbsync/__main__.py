"""`python -m pbsync`: the `pbsync` command."""

from pbsync.cli import main

if __name__ == "__main__":
    main()
