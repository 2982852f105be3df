"""The run's judge from its settings: one judge, or a jury of several."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from airlab.backends.base import Backend, ChatModel
from airlab.errors import ConfigError
from airlab.plans.jury import Jury
from airlab.plans.llm_judge import LLMJudge
from airlab.plans.offline import OfflineJudge
from airlab.plans.settings import OFFLINE_JUDGE, JudgeSettings

if TYPE_CHECKING:
    from airlab.plans.judge import Judge


def make_judge(
    settings: JudgeSettings,
    generator: Backend,
    *,
    options: Mapping[str, Any] | None = None,
    meter: Callable[[ChatModel], ChatModel] = lambda model: model,
) -> Judge:
    """`settings.models` empty: the generator's own model (its calls routed as `judge`), or
    the offline judge under a program writer; else each named backend (`meter` wraps the ones
    built here, so their calls reach the run's ledger), a jury when there are several."""
    names = settings.models or [OFFLINE_JUDGE if not isinstance(generator, ChatModel) else ""]
    judges: list[Judge] = []
    for name in names:
        if name == OFFLINE_JUDGE:
            judges.append(OfflineJudge(settings.threshold))
            continue
        if name == "":
            assert isinstance(generator, ChatModel)
            model: ChatModel = generator
        else:
            from airlab.backends import make_backend

            built = make_backend(name, dict(options or {}))
            if not isinstance(built, ChatModel):
                raise ConfigError(
                    f"--judge {name!r}: not a chat model (use {OFFLINE_JUDGE!r} or a model)"
                )
            model = meter(built)
        judges.append(LLMJudge(model, samples=settings.samples, retries=settings.retries))
    if len(judges) == 1:
        return judges[0]
    return Jury(judges, settings.rule)
