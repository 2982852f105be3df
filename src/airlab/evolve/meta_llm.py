"""The LLM meta agent: any chat backend (`-b`) reads the folder, the evidence and its own meta
prompt, and answers with edits in the checked format of `airlab.evolve.edits`.

The prompt is the parent's `meta/prompts/<prompt>` rendered in the sandbox, followed by the edit
format. Every call, failed or not, is charged to the archive's usage ledger, on the child it
was made for. A failed call or a malformed answer is an `EditError`: the child is recorded as
invalid with the reason, and the loop goes on.
"""

from __future__ import annotations

import time
from typing import Any

import jinja2

from airlab.agents.meta import meta_prompts
from airlab.backends import ChatModel, Message, make_backend
from airlab.backends.base import Completion
from airlab.backends.llm.failures import ProviderError
from airlab.errors import AirlabError, BackendError, ConfigError
from airlab.evolve.archive import Archive
from airlab.evolve.edits import EditError, parse_edits, write_files
from airlab.evolve.meta import MetaRequest, Proposal
from airlab.journal.calls import CallRecord

PURPOSE = "meta"
EDIT_FORMAT = """
# Answer format
First one or two sentences: what you change and why. Then one fenced block that starts with
```json and holds a JSON list of your edits; write nothing after it. Each edit is one of:
  {"file": "agent.yaml", "action": "set_field", "field": "<dotted.key>", "value": <new value>}
      sets one key of a YAML file (e.g. policy.params.<name>) to a new JSON value;
  {"file": "prompts/<name>.j2", "action": "replace", "content": "<the whole new text>"}
      replaces (or adds) a whole file.
An edit that sets a key to the value it already has changes nothing and is refused.
Editable files: agent.yaml, prompts/NAME.j2{meta}. Paths are relative to the folder.
"""
SYSTEM = (
    "You are the meta agent of an AI research agent: you read its folder and how it did, and "
    "answer with edits to the folder. Do not repeat the folder or the evidence. Your answer is "
    "one or two sentences, then one ```json block with a JSON list of edits, in the answer "
    "format the request ends with."
)
"""The framework's own words about the answer's form; what to change is the meta prompt's
(meta/prompts/, editable by a self-modifying meta agent)."""


class LLMMeta:
    """The meta agent as a chat model."""

    def __init__(self, model: ChatModel, backend: str) -> None:
        self.model = model
        self.name = backend

    @classmethod
    def from_backend(cls, backend: str, options: dict[str, Any] | None = None) -> LLMMeta:
        model = make_backend(backend, options)
        if not isinstance(model, ChatModel):
            raise ConfigError(f"backend {backend!r}: the meta agent needs a chat model")
        return cls(model, backend)

    def prompt(self, request: MetaRequest, scratch: Any) -> str:
        """The parent's meta prompt, rendered in the sandbox with the evidence."""
        root = write_files(request.files, scratch)
        variables = {
            "agent": request.files,
            "edits": request.meta.edits,
            "self_modification": request.self_modify,
            **request.evidence,
        }
        try:
            text = meta_prompts(root).get_template(request.meta.prompt).render(**variables)
        except jinja2.TemplateError as exc:
            raise EditError(f"meta/prompts/{request.meta.prompt}: does not render: {exc}") from None
        meta = ", meta/meta.yaml, meta/prompts/NAME.j2" if request.self_modify else ""
        return text + EDIT_FORMAT.replace("{meta}", meta)

    def propose(self, request: MetaRequest, archive: Archive) -> Proposal:
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory(prefix="airlab-meta-") as scratch:
            text = self.prompt(request, Path(scratch) / "agent")
        started = time.time()
        try:
            messages = [Message("system", SYSTEM), Message("user", text)]
            completion = self.model.complete(messages, purpose=PURPOSE)
        except Exception as exc:  # any failure of the call is this child's reason, never a crash
            self._charge(archive, request.child_id, started, None, exc)
            text = " ".join(str(exc).split())[:300]
            kind = "" if isinstance(exc, AirlabError) else f"{type(exc).__name__}: "
            raise EditError(f"meta call failed: {kind}{text}") from None
        self._charge(archive, request.child_id, started, completion, None)
        try:
            return Proposal(parse_edits(completion.text), completion.text)
        except EditError as exc:
            raise EditError(str(exc), answer=completion.text) from None

    def _charge(
        self,
        archive: Archive,
        child: int,
        started: float,
        completion: Completion | None,
        error: Exception | None,
    ) -> None:
        failed = error if isinstance(error, ProviderError) else None
        source = completion or failed
        usage = getattr(source, "usage", None)
        archive.record_call(
            CallRecord(
                purpose=PURPOSE,
                backend=self.name,
                model=getattr(source, "model", "") or "",
                started_at=started,
                finished_at=time.time(),
                tokens_in=getattr(usage, "tokens_in", 0),
                tokens_out=getattr(usage, "tokens_out", 0),
                cost_usd=getattr(usage, "cost_usd", 0.0),
                usage_reported=getattr(source, "usage_reported", error is None),
                priced=getattr(source, "priced", True),
                retries=getattr(source, "retries", 0),
                error=None if error is None else str(error)[:300],
                fatal=isinstance(error, BackendError) and error.fatal,
            ),
            member=child,
        )
