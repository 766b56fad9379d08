"""Checks that need every flow at once: targets, reachability, exits, position length.

Conditions are treated as unknown: a step must work whatever the user's facts
are, because the facts are only known when someone walks the flow.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from types import MappingProxyType

from diagnostics.flow_model import (
    MAX_PATH,
    Flow,
    FlowError,
    FlowProblem,
    FlowSet,
    Step,
    StepKind,
    StepRef,
)

__all__ = ["check_flow_set"]

log = logging.getLogger(__name__)


def check_flow_set(flows: Sequence[Flow]) -> FlowSet:
    """Puts flows together and checks the rules that span them.

    Args:
        flows: Flows parsed one file at a time.

    Raises:
        FlowError: The flows break a rule; the error names the file and step.
    """
    if not flows:
        raise FlowError("diagnostics/flows", None, FlowProblem.NO_FLOWS)
    by_id: dict[str, Flow] = {}
    for flow in flows:
        if flow.id in by_id:
            raise FlowError(flow.path, None, FlowProblem.DUPLICATE_FLOW, flow.id)
        by_id[flow.id] = flow
    entries = [flow for flow in flows if flow.entry]
    if not entries:
        raise FlowError(flows[0].path, None, FlowProblem.NO_ENTRY)
    if len(entries) > 1:
        raise FlowError(entries[1].path, None, FlowProblem.SEVERAL_ENTRIES, entries[0].path)
    flow_set = FlowSet(MappingProxyType(by_id), entries[0].id)
    _check_targets(flow_set)
    _check_skip_chains(flow_set)
    _check_reachable(flow_set)
    _check_exits(flow_set)
    _check_path_length(flow_set)
    return flow_set


def _edges(flow: Flow, step: Step) -> Iterator[tuple[str, StepRef]]:
    """Where a step can lead: (how, target)."""
    for choice in step.choices:
        yield f"choices[{choice.id}].next", choice.next
    if step.skip_to is not None:
        yield "skip_to", step.skip_to
    if step.then is not None:
        yield "then", step.then


def _exists(flow_set: FlowSet, ref: StepRef) -> bool:
    flow = flow_set.flows.get(ref.flow)
    return flow is not None and ref.step in flow.steps


def _check_targets(flow_set: FlowSet) -> None:
    for flow, step in flow_set.walk():
        if step.kind is StepKind.REFUND and step.when is not None:
            raise FlowError(flow.path, step.id, FlowProblem.BAD_REFUND_TARGET, "when")
        for how, ref in _edges(flow, step):
            if not _exists(flow_set, ref):
                raise FlowError(flow.path, step.id, FlowProblem.UNKNOWN_TARGET, f"{how} = {ref}")
            is_refund = flow_set.step(ref).kind is StepKind.REFUND
            if is_refund != (how == "then"):
                raise FlowError(flow.path, step.id, FlowProblem.BAD_REFUND_TARGET, f"{how} = {ref}")
        if flow.start == step.id and step.kind is StepKind.REFUND:
            raise FlowError(flow.path, step.id, FlowProblem.BAD_REFUND_TARGET, "start")


def _check_skip_chains(flow_set: FlowSet) -> None:
    for flow, step in flow_set.walk():
        seen = {StepRef(flow.id, step.id)}
        current = step
        while current.skip_to is not None:
            if current.skip_to in seen:
                raise FlowError(flow.path, step.id, FlowProblem.SKIP_CYCLE, str(current.skip_to))
            seen.add(current.skip_to)
            current = flow_set.step(current.skip_to)


def _check_reachable(flow_set: FlowSet) -> None:
    reached = {flow_set.start_of(flow_id) for flow_id in flow_set.flows}
    pending = list(reached)
    while pending:
        ref = pending.pop()
        for _, target in _edges(flow_set.flows[ref.flow], flow_set.step(ref)):
            if target not in reached:
                reached.add(target)
                pending.append(target)
    for flow, step in flow_set.walk():
        if StepRef(flow.id, step.id) not in reached:
            raise FlowError(flow.path, step.id, FlowProblem.UNREACHABLE)


def _check_exits(flow_set: FlowSet) -> None:
    """Every step must reach an outcome whichever way its conditions turn out.

    A step can end well if its ``skip_to`` can (when it has a condition) and
    one of its unconditional choices can; steps in a loop with no such way out
    never qualify.
    """
    steps = {StepRef(flow.id, step.id): step for flow, step in flow_set.walk()}
    good = {ref for ref, step in steps.items() if step.kind.is_outcome}
    changed = True
    while changed:
        changed = False
        for ref, step in steps.items():
            if ref in good:
                continue
            skip_ok = step.skip_to is None or step.skip_to in good
            if skip_ok and any(c.when is None and c.next in good for c in step.choices):
                good.add(ref)
                changed = True
    for flow, step in flow_set.walk():
        if StepRef(flow.id, step.id) not in good:
            raise FlowError(flow.path, step.id, FlowProblem.DEAD_END)


def _check_path_length(flow_set: FlowSet) -> None:
    """Positions keep one character per answer; bound the answers any walk can hold.

    The walker forgets a loop when a step comes round again, so the answers
    form a simple path. Each strongly connected group of steps adds at most its
    number of asking steps to such a path.
    """
    graph = {
        StepRef(flow.id, step.id): [ref for _, ref in _edges(flow, step)]
        for flow, step in flow_set.walk()
    }
    component = _components(graph)
    weight: dict[int, int] = {}
    successors: dict[int, set[int]] = {}
    for ref, targets in graph.items():
        group = component[ref]
        asks = 0 if flow_set.step(ref).kind.is_outcome else 1
        weight[group] = weight.get(group, 0) + asks
        successors.setdefault(group, set()).update(
            component[t] for t in targets if component[t] != group
        )
    longest: dict[int, int] = {}
    # Tarjan numbers components in reverse topological order: successors come first.
    for group in sorted(weight):
        longest[group] = weight[group] + max((longest[s] for s in successors[group]), default=0)
    for flow_id, flow in sorted(flow_set.flows.items()):
        bound = longest[component[flow_set.start_of(flow_id)]]
        if bound > MAX_PATH:
            raise FlowError(flow.path, flow.start, FlowProblem.PATH_TOO_LONG, str(bound))


def _components(graph: dict[StepRef, list[StepRef]]) -> dict[StepRef, int]:
    """Strongly connected components (Tarjan), numbered in reverse topological order."""
    index: dict[StepRef, int] = {}
    low: dict[StepRef, int] = {}
    stack: list[StepRef] = []
    on_stack: set[StepRef] = set()
    component: dict[StepRef, int] = {}
    found = 0

    def visit(node: StepRef) -> None:
        nonlocal found
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component[member] = found
                if member == node:
                    break
            found += 1

    for node in graph:
        if node not in index:
            visit(node)
    return component
