"""An agent folder: `agent.yaml`, optional `prompts/*.j2`, anything else the author keeps there.

Loading checks everything that can be checked without a model: the schema (unknown keys get a
"did you mean"), the policy and its parameters, the operator set and its options, the purposes
of `models`, and every prompt override (syntax, variables, sandbox). The content hash is sha256
over the folder's files (relative path and bytes, in sorted order), so any edit, a prompt
included, is a new agent.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from airlab.agents.meta import MetaSpec, load_meta, read_mapping
from airlab.agents.spec import DEFAULT_MODEL, AgentSpec
from airlab.errors import AirlabError, ConfigError
from airlab.operators.prompt_library import SUFFIX, PromptLibrary
from airlab.params import describe_error, did_you_mean

AGENT_FILE = "agent.yaml"
PROMPTS = "prompts"
PACKAGED_DIR = Path(__file__).parent
"""The packaged agents: every folder here with an `agent.yaml`."""
_SKIPPED = ("__pycache__",)


@dataclass(frozen=True)
class Agent:
    """A loaded, checked agent folder."""

    root: Path
    spec: AgentSpec
    content_hash: str
    """sha256 (hex) over the folder's files; see `content_hash`."""
    meta: MetaSpec | None = None
    """A hyperagent's meta agent (`meta/meta.yaml`); None for a plain agent."""

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def short_hash(self) -> str:
        return self.content_hash[:12]

    @property
    def prompts_dir(self) -> Path | None:
        folder = self.root / PROMPTS
        return folder if folder.is_dir() else None

    def prompts(self) -> PromptLibrary:
        """This agent's templates before the packaged ones."""
        return PromptLibrary(self.prompts_dir)

    def record(self) -> dict[str, Any]:
        """What a run's journal keeps of its agent."""
        return {"name": self.name, "hash": self.content_hash, "source": str(self.root)}


def packaged_agents() -> list[str]:
    """The names of the agents that ship with airlab."""
    return sorted(p.parent.name for p in PACKAGED_DIR.glob(f"*/{AGENT_FILE}"))


def resolve(reference: str | Path) -> Path:
    """A folder path, or the name of a packaged agent → its folder."""
    path = Path(reference).expanduser()
    if path.is_dir():
        return path.resolve()
    text = str(reference)
    if "/" not in text and (PACKAGED_DIR / text / AGENT_FILE).is_file():
        return PACKAGED_DIR / text
    known = packaged_agents()
    hint = did_you_mean(text, known)
    raise ConfigError(
        f"agent {text!r}: no such folder and no packaged agent{hint} (packaged: {', '.join(known)})"
    )


def load_agent(reference: str | Path) -> Agent:
    """Read and check an agent folder (or packaged agent); a problem is one ConfigError line
    naming the file."""
    root = resolve(reference)
    path = root / AGENT_FILE
    data = read_mapping(path, f"an agent folder holds an {AGENT_FILE}")
    try:
        spec = AgentSpec.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_error(str(path), exc, AgentSpec)) from None
    try:
        check_plugins(spec)
    except AirlabError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    _check_prompt_files(root)
    agent = Agent(root, spec, content_hash(root), load_meta(root))
    agent.prompts()  # every override is parsed and checked now, before any model call
    return agent


def check_plugins(spec: AgentSpec) -> None:
    """The plug-ins the agent names exist and take the options it gives them."""
    from airlab.backends.routing import PURPOSES
    from airlab.operators import OPERATOR_SETS, operator_options
    from airlab.policies import POLICIES

    POLICIES.get(spec.policy.name)
    POLICIES.parse_params(spec.policy.name, spec.policy.params)
    OPERATOR_SETS.get(spec.operators.set)
    operator_options(spec.operators.set, spec.operators.options)
    known = (DEFAULT_MODEL, *PURPOSES)
    for purpose in spec.models:
        if purpose not in known:
            raise ConfigError(
                f"models: unknown purpose {purpose!r}{did_you_mean(purpose, known)} "
                f"(known: {', '.join(known)})"
            )


def _check_prompt_files(root: Path) -> None:
    folder = root / PROMPTS
    if not folder.exists():
        return
    if not folder.is_dir():
        raise ConfigError(f"{folder}: expected a folder of prompt templates (*{SUFFIX})")
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.name.lower().startswith("readme"):
            continue
        if path.suffix != SUFFIX or not path.is_file():
            raise ConfigError(f"{path}: not a prompt template (prompts/ holds *{SUFFIX} files)")


def agent_files(root: Path) -> Iterator[Path]:
    """The folder's files that make the agent, in sorted order (no caches, no hidden files)."""
    for path in sorted(root.rglob("*"), key=lambda p: p.relative_to(root).as_posix()):
        relative = path.relative_to(root).parts
        if any(part.startswith(".") or part in _SKIPPED for part in relative):
            continue
        if path.is_file():
            yield path


def content_hash(root: Path) -> str:
    """sha256 over every file's relative path and bytes, in sorted order."""
    digest = hashlib.sha256()
    for path in agent_files(root):
        data = path.read_bytes()
        digest.update(f"{path.relative_to(root).as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def copy_agent(reference: str | Path | Agent, destination: Path) -> Path:
    """Copy an agent's files into `destination` (which must not exist yet)."""
    agent = reference if isinstance(reference, Agent) else load_agent(reference)
    destination = Path(destination)
    if destination.exists():
        raise ConfigError(f"{destination}: already exists; choose a new folder")
    for path in agent_files(agent.root):
        target = destination / path.relative_to(agent.root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    destination.mkdir(parents=True, exist_ok=True)
    return destination
