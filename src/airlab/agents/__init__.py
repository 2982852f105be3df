"""Agents as folders: `agent.yaml` (policy, operators, models, budget, fitness) and optional
`prompts/*.j2` over the packaged prompts. The agents that ship with airlab are folders here
(`airlab agent list`); copy one to make your own (`airlab agent copy greedy my-agent`)."""

from airlab.agents.folder import (
    AGENT_FILE,
    Agent,
    content_hash,
    copy_agent,
    load_agent,
    packaged_agents,
    resolve,
)
from airlab.agents.layering import with_agent
from airlab.agents.spec import SCHEMA_VERSION, AgentSpec

__all__ = [
    "AGENT_FILE",
    "SCHEMA_VERSION",
    "Agent",
    "AgentSpec",
    "content_hash",
    "copy_agent",
    "load_agent",
    "packaged_agents",
    "resolve",
    "with_agent",
]
