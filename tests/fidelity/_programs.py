"""The Hypothesis strategy of oracle programs: a list of steps with unique titles."""

from __future__ import annotations

import dataclasses
import typing as t

from hypothesis import strategies as st

from tests.fidelity._steps import (
    Add,
    BeginNested,
    Bind,
    ConnectionUnit,
    EndNested,
    GetRequest,
    NestedBlock,
    Op,
    PostRequest,
    SessionCall,
    SessionDelete,
    Step,
    ThreadUnit,
)

MAX_STEPS = 12
BINDS: tuple[Bind, ...] = (None, "other")


@dataclasses.dataclass(frozen=True)
class Program:
    steps: tuple[Step, ...]

    def __repr__(self) -> str:
        lines = [line for step in self.steps for line in step.lines()]
        return "Program:\n" + "\n".join(f"    {line}" for line in lines)

    def _repr_pretty_(self, printer: t.Any, cycle: bool) -> None:
        """Hypothesis prints a failing program as the code it ran."""
        printer.text(repr(self))


class _Titles:
    """Every insert gets a new title, so no two units ever wait on one unique value."""

    def __init__(self, draw: t.Callable[[st.SearchStrategy[t.Any]], t.Any]) -> None:
        self.draw = draw
        self.used: list[str] = []

    def new(self) -> str:
        self.used.append(f"t{len(self.used)}")
        return self.used[-1]

    def target(self) -> str | None:
        """A title to delete: None (every row), an earlier one, or one never inserted."""
        pick = self.draw(st.none() | st.integers(0, 40))
        if pick is None:
            return None
        return self.used[pick % len(self.used)] if self.used else "absent"


def _ops(draw: t.Any, titles: _Titles, savepoints: bool, depth: int = 0) -> tuple[Op, ...]:
    kinds = ["insert", "insert", "delete"] + (["nested"] if savepoints and depth < 2 else [])
    ops = []
    for _ in range(draw(st.integers(0 if depth == 0 else 1, 3))):
        kind = draw(st.sampled_from(kinds))
        if kind == "insert":
            ops.append(Op("insert", titles.new()))
        elif kind == "delete":
            ops.append(Op("delete", titles.target()))
        else:
            inner = _ops(draw, titles, savepoints, depth + 1)
            end = draw(st.sampled_from(["with", "commit", "rollback", "raise"]))
            ops.append(Op("nested", inner=inner, end=end))
    return tuple(ops)


SESSION_KINDS = ["add", "add", "add_flush", "call", "call", "delete"]
SAVEPOINT_KINDS = ["nested_block", "begin_nested", "end_nested", "end_nested"]
OTHER_KINDS = ["connection", "connection", "post", "post", "get", "thread"]


@st.composite
def programs(draw: t.Any, savepoints: bool = True) -> Program:
    """Programs of up to ``MAX_STEPS`` steps; ``savepoints=False`` never uses SAVEPOINT."""
    titles = _Titles(draw)
    kinds = SESSION_KINDS + OTHER_KINDS + (SAVEPOINT_KINDS if savepoints else [])
    binds = st.sampled_from(BINDS)
    steps: list[Step] = []
    for _ in range(draw(st.integers(1, MAX_STEPS))):
        kind = draw(st.sampled_from(kinds))
        step: Step
        if kind in ("add", "add_flush"):
            step = Add(draw(binds), titles.new(), flush=kind == "add_flush")
        elif kind == "call":
            names = ["flush", "commit", "commit", "rollback", "close", "remove"]
            step = SessionCall(draw(st.sampled_from(names)))
        elif kind == "delete":
            step = SessionDelete(draw(binds), titles.target())
        elif kind == "nested_block":
            count = draw(st.integers(1, 2))
            adds = tuple((draw(binds), titles.new()) for _ in range(count))
            step = NestedBlock(adds, draw(st.sampled_from(["with", "rollback", "raise"])))
        elif kind == "begin_nested":
            step = BeginNested()
        elif kind == "end_nested":
            step = EndNested(draw(st.sampled_from(["commit", "rollback"])))
        elif kind == "connection":
            style = draw(st.sampled_from(["begin", "connect"]))
            ends = ["commit", "close", "raise"] + (["rollback"] if style == "connect" else [])
            ops = _ops(draw, titles, savepoints)
            step = ConnectionUnit(draw(binds), style, ops, draw(st.sampled_from(ends)))
        elif kind == "post":
            modes = ["commit", "commit", "duplicate", "duplicate_then_recover"]
            if savepoints:
                modes += ["nested_then_rollback", "nested_then_commit"]
            step = PostRequest(draw(binds), titles.new(), draw(st.sampled_from(modes)))
        elif kind == "get":
            step = GetRequest()
        else:
            kind_of_thread = draw(st.sampled_from(["session", "engine"]))
            step = ThreadUnit(draw(binds), titles.new(), kind_of_thread)
        steps.append(step)
    return Program(tuple(steps))
