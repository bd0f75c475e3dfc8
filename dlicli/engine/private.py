"""Owner-only files under the engine's data dir.

The engine runs with umask 077 (serve.py), so what it and its tasks create is 0600/0700. A data dir
made by an older release, or by hand, may be open to other users: `tighten` removes the group and
other bits from the data dir and everything under it (symbolic links are never followed), bounded
so that a data dir with millions of files does not hold up a start.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

OWNER_ONLY_UMASK = 0o077
MAX_WALK = 200_000  # entries looked at per start; the directories above are tightened first anyway


def tighten(data_dir: Path) -> list[str]:
    """chmod go-rwx the data dir and what is under it → the paths changed, relative to its parent."""
    changed: list[str] = []
    seen = 0
    for root, dirs, files in os.walk(data_dir, followlinks=False):
        if root == str(data_dir) and _tighten(Path(root)):
            changed.append(data_dir.name)
        for name in dirs + files:
            path = Path(root, name)
            if _tighten(path):
                changed.append(str(path.relative_to(data_dir.parent)))
            seen += 1
        if seen >= MAX_WALK:
            break
    return changed


def _tighten(path: Path) -> bool:
    try:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode) or not mode & 0o077:
            return False
        os.chmod(path, stat.S_IMODE(mode) & ~0o077)
        return True
    except OSError:  # gone meanwhile, or not ours: left as it is
        return False
