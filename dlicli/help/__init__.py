"""The guides `dlicli help TOPIC` prints: plain-text files shipped with the package (package data), so
docs pages and man pages can include or link the same text. Typer-free.

exit-codes.txt and environment.txt are written by scripts/gen_docs.py from its tables (the exit-code
enum's meanings, every variable dlicli reads); hpo-spec.txt and output.txt are written by hand.
"""

from __future__ import annotations

from importlib import resources

# topic → its one-line summary (the list `dlicli help` prints, in this order)
TOPICS: dict[str, str] = {
    "exit-codes": "What each exit code means, for scripts.",
    "environment": "Every environment variable dlicli reads.",
    "hpo-spec": "The HPO spec file `hpo start` sends: fields, search spaces, algorithms.",
    "output": "Output formats: tables, tab-separated text, --json, -o yaml; stdout and stderr.",
}


def topic_text(name: str) -> str:
    """The text of topic `name` (one of TOPICS)."""
    return resources.files(__name__).joinpath(f"{name}.txt").read_text(encoding="utf-8")


def topic_list() -> str:
    """What `dlicli help` prints: the topics and how to read one."""
    width = max(map(len, TOPICS))
    lines = ["Help topics (dlicli help TOPIC):", ""]
    lines += [f"  {name.ljust(width)}  {summary}" for name, summary in TOPICS.items()]
    lines += ["", "A command's own help: dlicli COMMAND --help, or man dlicli-COMMAND (man dlicli-exec-start)."]
    return "\n".join(lines) + "\n"
