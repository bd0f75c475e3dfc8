"""How many hypothesis examples each property test ran this session (printed in pytest's summary
by tests/fuzz/conftest.py): a property's figure is the examples it was really given."""

from __future__ import annotations

from collections import Counter

EXAMPLES: Counter[str] = Counter()


def count(name: str) -> None:
    EXAMPLES[name] += 1
