#!/usr/bin/env python3
"""Write completions/dlicli.bash, completions/_dlicli (zsh) and completions/dlicli.fish.

The scripts are what `dlicli completion SHELL` prints (`dlicli.cli.completion.script`): typer's for
bash and zsh; for fish dlicli's own, which runs dlicli once per TAB (typer's runs it twice).
Run after upgrading typer or changing that script (tests/test_completion.py checks the committed
files are current):
    python scripts/gen_completions.py [OUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

FILES = {"bash": "dlicli.bash", "zsh": "_dlicli", "fish": "dlicli.fish"}


def generate(out_dir: Path) -> list[Path]:
    from dlicli.cli.completion import script

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for shell, name in FILES.items():
        path = out_dir / name
        path.write_text(script(shell), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parent.parent
    out_dir = Path(argv[0]) if argv else root / "completions"
    for path in generate(out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
