"""Live progress of a run in the terminal (rich), and plain lines when output is not a terminal."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from airlab.backends import ChatModel
from airlab.backends.routing import model_map
from airlab.journal import Node, NodeStatus
from airlab.result import RunResult
from airlab.runner import Run, RunObserver

_STATUS_STYLE = {
    NodeStatus.GOOD: "green",
    NodeStatus.BUGGY: "red",
    NodeStatus.LOST: "magenta",
    NodeStatus.CANCELLED: "dim",
}


def fmt(score: float | None, digits: int = 4) -> str:
    return "—" if score is None else f"{score:.{digits}f}"


def header(run: Run) -> Panel:
    spec = run.task.spec
    budget = run.config.budget
    parts = [
        f"{budget.steps} steps" if budget.steps else None,
        f"{budget.time_s:g} s" if budget.time_s else None,
        f"{budget.tokens:,} tokens" if budget.tokens else None,
        f"${budget.cost_usd:g}" if budget.cost_usd else None,
    ]
    lines = [
        f"[bold]{spec.name}[/] — {spec.title}",
        f"metric {spec.metric} ({spec.direction}) · baseline "
        f"{fmt(spec.baseline.score if spec.baseline else None)}",
        f"policy {run.config.policy} · operators {run.config.operators} · backend "
        f"{run.backend.describe()} · seed {run.config.seed}",
        f"budget {', '.join(p for p in parts if p) or 'unlimited'} · {run.config.workers} worker(s)"
        f" on the {run.config.pool} pool"
        f" · limits per candidate {run.limits.time_s:g} s, {run.limits.memory_mb} MB",
        f"sandbox {run.sandbox.describe()}",
        f"run folder {run.folder.root}",
    ]
    if isinstance(run.backend, ChatModel):
        fixed = run.config.llm_concurrency
        calls = f"{fixed}" if fixed else f"{run.llm_concurrency} (adapts to latency)"
        preflight = "on" if run.config.preflight else "off"
        lines.insert(4, f"model calls at once {calls} · preflight {preflight}")
        routed = model_map(run.backend)
        if routed:
            who = " · ".join(f"{purpose} {escape(name)}" for purpose, name in routed.items())
            lines.insert(5, f"models {who}")
    agent = run.journal.get_meta("agent")
    if isinstance(agent, dict):
        lines.insert(
            2, f"agent {escape(str(agent.get('name')))} · sha256 {agent.get('hash', '')[:12]}"
        )
    lines += [f"[yellow]warning: {escape(w)}[/]" for w in run.search.warnings()]
    return Panel("\n".join(lines), title="airlab run", expand=False)


class LiveDisplay(RunObserver):
    """Steps done, best score so far, what each worker is running, the latest nodes."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live: Live | None = None
        self.messages: list[str] = []

    def on_start(self, run: Run) -> None:
        self.console.print(header(run))
        if self.console.is_terminal:
            self.live = Live(self._render(run), console=self.console, refresh_per_second=4)
            self.live.start()

    def on_message(self, run: Run, text: str) -> None:
        if self.live is None:
            self.console.print(f"[yellow]{escape(text)}[/]")
        else:
            self.messages = [*self.messages[-2:], text]
            self.live.update(self._render(run))

    def on_proposed(self, run: Run, node: Node) -> None:
        self._refresh(run)

    def on_started(self, run: Run, node: Node) -> None:
        self._refresh(run)

    def on_finished(self, run: Run, node: Node) -> None:
        if self.live is None:
            self.console.print(self._line(run, node), highlight=False)
        self._refresh(run)

    def on_end(self, run: Run, result: RunResult) -> None:
        if self.live is not None:
            self.live.update(self._render(run))
            self.live.stop()
            self.live = None

    def _refresh(self, run: Run) -> None:
        if self.live is not None:
            self.live.update(self._render(run))

    def _line(self, run: Run, node: Node) -> str:
        best = run.search_tree().best()
        score = fmt(node.search_score) if node.is_good else (node.failure or node.status.value)
        line = (
            f"node {node.id:>3} {node.operator:<9} {node.status.value:<6} {score:<18} "
            f"best {fmt(best.search_score if best else None)}  "
        )
        room = max(self.console.width - len(line) - 1, 20)
        plan = node.plan if len(node.plan) <= room else node.plan[: room - 1] + "…"
        return line + plan

    def _render(self, run: Run) -> Group:
        nodes = run.journal.nodes()
        finished = [n for n in nodes if n.status.finished]
        tree = run.search_tree()
        best = tree.best()
        budget = run.config.budget.steps
        done = f"{len(finished)}/{budget}" if budget else str(len(finished))
        summary = Text.assemble(
            ("steps ", "bold"),
            done,
            ("  best search score ", "bold"),
            (fmt(best.search_score if best else None), "green"),
            f" (node {best.id})" if best else "",
            ("  buggy ", "bold"),
            str(sum(1 for n in finished if n.is_buggy)),
            ("  elapsed ", "bold"),
            f"{run.elapsed_s:.0f} s",
        )
        running = Table(title="in flight", show_edge=False, title_justify="left", expand=False)
        for column in ("node", "operator", "parents", "state", "for"):
            running.add_column(column)
        now = time.time()
        for node in nodes:
            if node.status.in_flight:
                since = node.started_at if node.status == NodeStatus.RUNNING else node.created_at
                state = {NodeStatus.RUNNING: "running", NodeStatus.QUEUED: "queued"}.get(
                    node.status, "writing"
                )
                running.add_row(
                    str(node.id),
                    node.operator,
                    ",".join(map(str, node.parent_ids)) or "—",
                    state,
                    f"{now - (since or now):.0f} s",
                )
        recent = Table(title="latest nodes", show_edge=False, title_justify="left", expand=True)
        for column in ("node", "operator", "status", "search", "self-reported", "time"):
            recent.add_column(column, no_wrap=True)
        recent.add_column("plan", overflow="ellipsis", no_wrap=True, ratio=1)
        for node in finished[-8:]:
            style = _STATUS_STYLE.get(node.status, "")
            recent.add_row(
                str(node.id),
                node.operator,
                Text(node.status.value, style=style),
                fmt(node.search_score) if node.is_good else (node.failure or ""),
                fmt(node.self_reported_score),
                f"{node.exec_seconds or 0:.1f} s",
                node.plan,
            )
        parts: list[Any] = [summary, running, recent]
        parts.extend(Text(m, style="yellow") for m in self.messages)
        return Group(*parts)


def result_table(run: Run, result: RunResult) -> Table:
    """The closing table: the final node and its three hidden scores beside the baseline."""
    table = Table(title=f"result — {result.task} ({result.metric}, {result.direction})")
    table.add_column("")
    table.add_column("value")
    scores = result.scores
    table.add_row(
        "final node",
        str(result.final_node) if result.final_node is not None else "none (no valid solution)",
    )
    table.add_row("search score (hidden)", fmt(scores.search))
    table.add_row("select score (hidden)", fmt(scores.select))
    table.add_row("test score (hidden, final only)", fmt(scores.test))
    table.add_row("self-reported score", fmt(result.self_reported_score))
    table.add_row("first draft search score", fmt(result.first_draft_search_score))
    table.add_row("baseline", fmt(result.baseline))
    for label, value in relative_rows(result):
        table.add_row(label, value)
    table.add_row(
        "nodes (good / buggy / lost)",
        f"{result.nodes} ({result.good_nodes} / {result.buggy_nodes} / {result.lost_nodes})",
    )
    table.add_row("stopped because", str(result.stop_reason))
    table.add_row("elapsed", f"{result.elapsed_s:.1f} s")
    if result.llm_calls:
        failed = f" ({result.failed_llm_calls} failed)" if result.failed_llm_calls else ""
        table.add_row(
            "LLM usage",
            f"{result.llm_calls} calls{failed} · {result.tokens_in:,} tokens in · "
            f"{result.tokens_out:,} out · ${result.cost_usd:.4f}",
        )
    for warning in result.warnings:
        table.add_row("warning", Text(warning, style="yellow"))
    table.add_row("run folder", str(run.folder.root))
    return table


def relative_rows(result: RunResult) -> list[tuple[str, str]]:
    """The test score against the benchmark's numbers, as `airlab report` computes them; only
    the rows the task has data for."""
    rel = result.relative_scores
    rows = []
    if rel.reaches_baseline is not None:
        rows.append(("reaches the baseline", "yes" if rel.reaches_baseline else "no"))
    if rel.linear_ns is not None:
        rows.append(("normalised score (baseline 0, reference 1)", fmt(rel.linear_ns, 3)))
    if rel.airs_ns is not None:
        rows.append(("AIRS normalised score", fmt(rel.airs_ns, 3)))
    if rel.percentile is not None:
        board = len(result.leaderboard or [])
        rows.append(("leaderboard percentile", f"{rel.percentile:.1%} of {board} entries"))
    if rel.medal is not None:
        median = "above" if rel.above_median else "not above"
        rows.append(("medal", f"{rel.medal} ({median} the median)"))
    return rows
