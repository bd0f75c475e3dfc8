"""The query args of GET /execs, as IBM's dlicmd.py documents them for `--exec-get-all
--query-args` ("limit=10&state=FINISHED&sort_by=id:desc"): `state` (one or several states,
comma-separated, any case), `sort_by` (a Batch field, then `:asc` or `:desc`; a leading `-`
also means descending) and `limit` (at most that many). `start` skips that many first, as the
Scheduler tag's paging does. Filter, then sort, then page.

Query args this engine does not know are ignored, as WMLA ignores them; a known one with a bad
value is a 400 that names it.
"""

from __future__ import annotations

from collections.abc import Mapping

from dlicli.engine import EngineError


def select(batches: list[dict], query: Mapping[str, str]) -> list[dict]:
    """The Batch objects the query asks for, in its order."""
    wanted = _states(query.get("state"))
    if wanted:
        batches = [b for b in batches if str(b.get("state") or "").upper() in wanted]
    if query.get("sort_by"):
        batches = _sorted(batches, query["sort_by"])
    first = _count(query, "start", minimum=0) or 0
    limit = _count(query, "limit", minimum=1)
    return batches[first:] if limit is None else batches[first : first + limit]


def _states(value: str | None) -> set[str]:
    return {s.strip().upper() for s in (value or "").split(",") if s.strip()}


def _sorted(batches: list[dict], sort_by: str) -> list[dict]:
    """`field`, `field:asc`, `field:desc` or `-field`; None values last either way."""
    field, _, direction = sort_by.strip().partition(":")
    descending = field.startswith("-")
    field = field.lstrip("-+").strip()
    direction = direction.strip().lower()
    if direction not in ("", "asc", "desc"):
        raise EngineError(400, f"sort_by direction must be asc or desc, not {direction!r}")
    descending = descending or direction == "desc"
    if batches and field not in batches[0]:
        fields = ", ".join(sorted(batches[0]))
        raise EngineError(400, f"sort_by names an unknown field {field!r}; a task has: {fields}")
    present = [b for b in batches if b.get(field) is not None]
    absent = [b for b in batches if b.get(field) is None]
    present.sort(key=lambda b: _key(b[field]), reverse=descending)
    return present + absent


def _key(value: object) -> tuple:
    """Numbers before text, each in its own order (a field holds one kind in practice)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value, "")
    return (1, 0, str(value))


def _count(query: Mapping[str, str], name: str, *, minimum: int) -> int | None:
    value = query.get(name)
    if value is None or value == "":
        return None
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or int(text) < minimum:
        kind = "a positive whole number" if minimum else "a whole number >= 0"
        raise EngineError(400, f"query arg {name} must be {kind}, not {value!r}")
    return int(text)
