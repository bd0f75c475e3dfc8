"""Entry point of `dlicli` and `python -m dlicli`.

`--version` is answered before typer and the command tree are imported (about half the
start-up time); everything else goes to the typer app in dlicli.cli.app, with the garbage
collector held back until the command's client is built (dlicli.startup).
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]):
        from dlicli import __version__

        sys.stdout.write(f"dlicli {__version__}\n")
        return
    from dlicli import startup

    startup.begin()
    from dlicli.cli.app import main as app_main

    app_main()


if __name__ == "__main__":
    main()
