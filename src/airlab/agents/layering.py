"""How an agent and a run's own settings make one run configuration.

Precedence, lowest first: RunConfig's defaults, the agent (`agent.yaml`), a `--config` file, the
command line's flags. A setting named later replaces the same setting named earlier; mappings
(policy parameters, operator and backend options, models) merge key by key. When a later layer
names another policy than the agent's, the agent's policy parameters are dropped (they belong to
its policy); likewise its default model's options when the backend is replaced. The run records
the result (`config.yaml`, and `config` in the journal's metadata) with the agent's name and hash.
"""

from __future__ import annotations

from typing import Any

from airlab.agents.folder import Agent
from airlab.runner.config import merge


def with_agent(agent: Agent, layers: dict[str, Any]) -> dict[str, Any]:
    """The agent's run fields with `layers` (a config file merged with flags) over them."""
    fields = agent.spec.run_fields()
    if layers.get("policy") not in (None, fields["policy"]):
        fields.pop("policy_params")
    if layers.get("backend") not in (None, fields["backend"]):
        fields.pop("backend_options")
    return merge(fields, layers)
