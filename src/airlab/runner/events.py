"""What a run tells its observers (the CLI's live display, tests, notebooks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airlab.journal.node import Node

if TYPE_CHECKING:
    from airlab.result import RunResult
    from airlab.runner.run import Run


class RunObserver:
    """Override what you need; every hook defaults to doing nothing."""

    def on_start(self, run: Run) -> None: ...

    def on_proposed(self, run: Run, node: Node) -> None: ...

    def on_started(self, run: Run, node: Node) -> None: ...

    def on_finished(self, run: Run, node: Node) -> None: ...

    def on_message(self, run: Run, text: str) -> None: ...

    def on_end(self, run: Run, result: RunResult) -> None: ...
