"""Resource plans: `--label K=V` options as the API's labels, and the plan tree (TreeDto) flattened
into rows, plain lines for pipes, or a rich Tree for a terminal.

Typer-free so tests call it directly. The server's TreeDto is read tolerantly: one tree (as the
spec and the local engine answer) or a list of them (older local engines), children under
`childTreeDto`, usage under `V1Resplan`; a missing number shows as `-`. The local engine's root,
named "/", is the whole engine, not a plan: its children are shown as the top plans (a root plan
with a name, as WMLA's, is shown as one).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dlicli.errors import UsageError

MISSING = "-"
_RESPLAN_KEYS = ("V1Resplan", "v1Resplan", "v1resplan")
_CHILD_KEYS = ("childTreeDto", "childTreeDtos", "children")


def labels_from_options(values: list[str] | None) -> list[dict[str, str]]:
    """`--label K=V` options → the spec's Labels_Map list `[{key, value}]` (an empty V is kept)."""
    labels = []
    for value in values or []:
        key, sep, val = value.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--label wants KEY=VALUE, not {value!r}", hint="for example --label team=vision")
        labels.append({"key": key.strip(), "value": val})
    return labels


def roots(data: Any) -> list[dict[str, Any]]:
    """The top plans of a GET /resplans/resplantree answer: one TreeDto, a list, or nothing."""
    if isinstance(data, dict):
        return _children(data) if _is_cluster_root(data) else [data]
    if isinstance(data, list):
        return [node for node in data if isinstance(node, dict)]
    return []


@dataclass(frozen=True)
class PlanRow:
    """One plan of the tree, flattened: its depth, label and usage."""

    depth: int
    path: str
    name: str
    cpu: str  # "used/requested"
    gpu: str


def _resplan(node: dict[str, Any]) -> dict[str, Any]:
    for key in _RESPLAN_KEYS:
        value = node.get(key)
        if isinstance(value, dict):
            return value
    return {}


def _children(node: dict[str, Any]) -> list[dict[str, Any]]:
    for key in _CHILD_KEYS:
        value = node.get(key)
        if isinstance(value, list):
            return [child for child in value if isinstance(child, dict)]
    return []


def _is_cluster_root(node: dict[str, Any]) -> bool:
    return node.get("name", node.get("id")) == "/"


def _text(value: Any) -> str:
    return MISSING if value is None or value == "" else str(value)


def usage(used: Any, requested: Any) -> str:
    """`used/requested`, `-` for a number the server left out."""
    return f"{_text(used)}/{_text(requested)}"


def _row(node: dict[str, Any], depth: int) -> PlanRow:
    plan = _resplan(node)
    name = _text(node.get("name") or node.get("path") or plan.get("path"))
    path = _text(node.get("path") or plan.get("path") or node.get("name"))
    return PlanRow(
        depth=depth,
        path=path,
        name=name,
        cpu=usage(plan.get("usedcpu"), plan.get("requestcpu")),
        gpu=usage(plan.get("usedgpu"), plan.get("requestgpu")),
    )


def walk(trees: list[dict[str, Any]], depth: int = 0) -> Iterator[tuple[dict[str, Any], PlanRow]]:
    """Every node depth-first, parents before their children, in the server's order."""
    for node in trees:
        yield node, _row(node, depth)
        yield from walk(_children(node), depth + 1)


def plain_lines(trees: list[dict[str, Any]], indent: str = "  ") -> list[str]:
    """`PATH<TAB>usedcpu/requestcpu<TAB>usedgpu/requestgpu`, indented by depth (for pipes)."""
    return [f"{indent * row.depth}{row.path}\t{row.cpu}\t{row.gpu}" for _, row in walk(trees)]


def rich_tree(trees: list[dict[str, Any]], *, color: bool = True):
    """A rich Tree of the plans (hidden root), each labelled with name, CPU and GPU usage."""
    from rich.text import Text
    from rich.tree import Tree

    top = Tree("resource plans", hide_root=True)

    def label(row: PlanRow) -> Text:
        dim = "dim" if color else ""
        return Text.assemble((row.name, "bold" if color else ""), ("  cpu ", dim), row.cpu, ("  gpu ", dim), row.gpu)

    def add(branch: Any, nodes: list[dict[str, Any]], depth: int) -> None:
        for node in nodes:
            add(branch.add(label(_row(node, depth))), _children(node), depth + 1)

    add(top, trees, 0)
    return top
