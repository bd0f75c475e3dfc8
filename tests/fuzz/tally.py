"""What a schema fuzz saw: requests by operation and status class, which were bad inputs (made by
schemathesis's negative mode), which answers were clean errors (4xx with a JSON `message`), the 5xx
and the requests that got no answer."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path


class Tally:
    def __init__(self) -> None:
        self.statuses: Counter[int] = Counter()
        self.by_operation: Counter[str] = Counter()
        self.bad_inputs = 0
        self.bad_inputs_refused = 0
        self.clean_errors = 0
        self.server_errors: list[str] = []
        self.no_answer: list[str] = []

    def record(self, case, status: int, body: bytes) -> None:
        self.statuses[status] += 1
        self.by_operation[f"{case.method} {case.path} {status}"] += 1
        negative = str(getattr(case.meta.generation.mode, "value", "")) == "negative" if case.meta else False
        self.bad_inputs += negative
        self.bad_inputs_refused += negative and 400 <= status < 500
        if 400 <= status < 500 and _has_message(body):
            self.clean_errors += 1
        if status >= 500:
            self.server_errors.append(f"{case.method} {case.formatted_path} → {status}: {body[:200]!r}")

    def fail(self, case, why: str) -> None:
        self.no_answer.append(f"{case.method} {case.formatted_path}: {why}")

    def figures(self) -> dict:
        return {
            "requests": sum(self.statuses.values()),
            "bad_inputs": self.bad_inputs,
            "bad_inputs_refused_4xx": self.bad_inputs_refused,
            "clean_errors_4xx_with_message": self.clean_errors,
            "server_errors_5xx": len(self.server_errors),
            "no_answer": len(self.no_answer),
            "statuses": dict(sorted(self.statuses.items())),
        }

    def summary(self) -> str:
        lines = ["schema fuzz: " + json.dumps(self.figures())]
        return "\n".join(lines + self.server_errors[:20] + self.no_answer[:20])

    def write(self, path: str | None) -> None:
        if path:
            everything = {**self.figures(), "5xx": self.server_errors, "hangs": self.no_answer}
            everything["by_operation"] = dict(sorted(self.by_operation.items()))
            Path(path).write_text(json.dumps(everything, indent=1))


def _has_message(body: bytes) -> bool:
    try:
        answer = json.loads(body)
    except ValueError:
        return False
    return isinstance(answer, dict) and isinstance(answer.get("message"), str) and bool(answer["message"])


TALLY = Tally()  # the session's one tally; tests/fuzz/conftest.py prints it in pytest's summary
