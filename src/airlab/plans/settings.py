"""How a run judges its text candidates (`RunConfig.judge`; the `--judge*` flags)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from airlab.plans.jury import JuryRule

OFFLINE_JUDGE = "offline"


class JudgeSettings(BaseModel):
    """Which judge grades a plan or revision task's candidates, and how often it is asked."""

    model_config = ConfigDict(extra="forbid")

    models: list[str] = Field(default_factory=list)
    """Backends that judge (`openai/gpt-4o`, `offline`, ...); several form a jury. Empty: the
    generator's own model, frozen (the offline judge when the generator is the templates)."""
    samples: int = Field(1, ge=1)
    """Times each judge decides each item; a verdict is the satisfied share over the samples."""
    retries: int = Field(2, ge=0)
    """Re-asks of a model judge whose answer is malformed or leaves items out."""
    rule: JuryRule = "mean"
    """How a jury's verdicts become one: `mean` or `majority`."""
    threshold: float = Field(0.5, gt=0, le=1)
    """The offline judge's share of an item's key terms that satisfies it."""
