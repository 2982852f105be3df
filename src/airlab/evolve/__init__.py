"""`airlab evolve`: an archive of agent folders grown by a meta agent (Darwin Gödel Machine and
DGM-Hyperagents). `archive` stores members, `edits` is the checked edit format, `meta_offline`
and `meta_llm` are the meta agents, `evaluate` runs children through `airlab sweep`, `loop`
drives generations."""

from airlab.evolve.archive import Archive, EvolveSettings, Member, MemberState, TaskResult
from airlab.evolve.loop import evolve, make_meta_agent

__all__ = [
    "Archive",
    "EvolveSettings",
    "Member",
    "MemberState",
    "TaskResult",
    "evolve",
    "make_meta_agent",
]
