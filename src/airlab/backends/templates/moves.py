"""The four operators on recipes: draft, improve, debug, crossover. Each returns a plan too.

Moves are pure functions of their inputs and a seeded generator, so a run replays exactly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from airlab.backends.templates.models import MODELS, ModelSpec, Problem, models_for
from airlab.backends.templates.recipe import BUGS, IMPUTERS, SCALERS, Member, Preprocessing, Recipe
from airlab.backends.templates.tune import TUNE_DRAWS
from airlab.operators.ideation import deal

MAX_ENSEMBLE = 4
BUG_STORIES = {
    "missing_import": "the model class was used without being imported",
    "wrong_target": "the target column name was misspelled",
    "submission_column": "the submission used a wrong column name",
    "length_mismatch": "the submission's id column was sliced to the wrong length",
}


def describe_member(member: Member) -> str:
    spec = MODELS[member.model]
    shown = ", ".join(f"{k}={v}" for k, v in member.params.items())
    if spec.problem == "forecasting":
        return f"{spec.title} ({shown})"
    prep = member.preprocessing
    extra = f", PCA keeping {prep.pca:.0%} of variance" if prep.pca else ""
    scaling = "no scaling" if prep.scaler == "none" else f"{prep.scaler} scaling"
    tuned = "tuned by randomized search, " if member.tuned else ""
    return f"{spec.title} ({tuned}{shown}) on {prep.impute}-imputed features with {scaling}{extra}"


def maybe_bug(rng: np.random.Generator, rate: float) -> str | None:
    return BUGS[int(rng.integers(len(BUGS)))] if rng.random() < rate else None


def draft(
    problem: Problem,
    used_models: Sequence[str],
    rng: np.random.Generator,
    *,
    bug_rate: float,
    log_target_ok: bool = False,
    least_used: bool = False,
    families: Sequence[str] | None = None,
    preferred: Sequence[str] = (),
) -> tuple[Recipe, str]:
    """A new solution from a model family not drafted yet (any family once all were tried).

    With `least_used` (the diversity cue), `used_models` lists every model the run has written,
    repeats included, and the draft takes a family used least so far. `families` limits the
    choice (sparse TF-IDF features: linear models). `preferred` ranks families best first
    (lessons from earlier tasks): the draft takes the best-ranked of the families it may choose,
    where one is ranked, instead of a random one.
    """
    specs = [s for s in models_for(problem) if families is None or s.family in families]
    if least_used:
        counts = Counter(MODELS[m].family for m in used_models if m in MODELS)
        fewest = min(counts[s.family] for s in specs)
        fresh = [s for s in specs if counts[s.family] == fewest]
    else:
        used_families = {MODELS[m].family for m in used_models if m in MODELS}
        fresh = [s for s in specs if s.family not in used_families]
        fresh = fresh or [s for s in specs if s.key not in used_models] or specs
    spec = fresh[int(rng.integers(len(fresh)))]  # drawn even when a lesson decides: same stream
    ranked = [family for family in preferred if any(s.family == family for s in fresh)]
    if ranked:
        spec = next(s for s in fresh if s.family == ranked[0])
    scaler = "standard" if spec.scale_sensitive else "none"
    member = Member(spec.key, spec.defaults(), Preprocessing(scaler=scaler))
    recipe = Recipe(members=(member,), bug=maybe_bug(rng, bug_rate))
    plan = f"Draft ({spec.family}): {describe_member(member)}."
    if log_target_ok and problem == "regression" and rng.random() < 0.3:
        recipe = replace(recipe, log_target=True)
        plan += " Fit on log(1 + target)."
    return recipe, plan


def improve(
    parent: Recipe,
    rng: np.random.Generator,
    *,
    bug_rate: float,
    log_target_ok: bool = False,
    pca_ok: bool = True,
    jump_rate: float = 0.0,
    tune_rate: float = 0.0,
) -> tuple[Recipe, str]:
    """One atomic change: a hyperparameter, the scaler, PCA (unless the features are sparse
    TF-IDF, `pca_ok=False`), imputation or the target transform. A hyperparameter moves a small
    step from its value, or with chance `jump_rate` to anywhere in its range; with chance
    `tune_rate` an untuned model is handed to a randomized search of all its hyperparameters
    in the script (a tuned model's own hyperparameters are then the search's to set)."""
    index = int(rng.integers(len(parent.members)))
    member = parent.members[index]
    spec = MODELS[member.model]
    prefix = f"member {index + 1} ({spec.title}): " if parent.is_ensemble else ""
    tunable = spec.problem != "forecasting" and bool(spec.params) and not member.tuned
    if tune_rate > 0 and tunable and rng.random() < tune_rate:  # no draw when off: same streams
        members = list(parent.members)
        members[index] = replace(member, tuned=True)
        recipe = replace(
            parent, members=tuple(members), cv_folds=min(parent.cv_folds, 3), bug=None
        ).with_bug(maybe_bug(rng, bug_rate))
        names = ", ".join(spec.params)
        return recipe, (
            f"Improve: {prefix}tune the hyperparameters of the {spec.title} ({names}) by "
            f"randomized search, {TUNE_DRAWS} settings with 3-fold cross-validation on the "
            "training data."
        )
    roll = rng.random()
    recipe = parent.with_bug(None)
    if (roll < 0.6 or spec.problem == "forecasting") and spec.params and not member.tuned:
        name = list(spec.params)[int(rng.integers(len(spec.params)))]
        old = member.params.get(name, spec.params[name].default)
        jump = jump_rate > 0 and rng.random() < jump_rate  # no draw when off: same streams
        new = spec.params[name].anywhere(old, rng) if jump else spec.params[name].perturb(old, rng)
        changed = replace(member, params={**member.params, name: new})
        change = f"{prefix}{'try' if jump else 'change'} {name} from {old!r} to {new!r}"
    elif roll < 0.75:
        options = [s for s in SCALERS if s != member.preprocessing.scaler]
        scaler = options[int(rng.integers(len(options)))]
        changed = replace(member, preprocessing=replace(member.preprocessing, scaler=scaler))
        change = f"{prefix}switch scaling from {member.preprocessing.scaler} to {scaler}"
    elif roll < 0.87 and (pca_ok or member.preprocessing.pca):
        pca = None if member.preprocessing.pca else float(rng.choice([0.9, 0.95, 0.99]))
        changed = replace(member, preprocessing=replace(member.preprocessing, pca=pca))
        change = f"{prefix}" + (f"add PCA keeping {pca:.0%} of variance" if pca else "drop PCA")
    elif roll < 0.94 or not log_target_ok:
        impute = next(i for i in IMPUTERS if i != member.preprocessing.impute)
        changed = replace(member, preprocessing=replace(member.preprocessing, impute=impute))
        change = f"{prefix}impute missing values with the {impute} instead"
    else:
        changed = member
        recipe = replace(recipe, log_target=not parent.log_target)
        change = "fit on log(1 + target)" if recipe.log_target else "fit on the raw target"
    members = list(recipe.members)
    members[index] = changed
    recipe = replace(recipe, members=tuple(members), bug=maybe_bug(rng, bug_rate))
    return recipe, f"Improve: {change}."


def debug(
    parent: Recipe,
    failure: str | None,
    error: str | None,
    rng: np.random.Generator,
    *,
    bug_rate: float,
) -> tuple[Recipe, str]:
    """Repair a failed parent: remove its bug, or make it cheaper after a timeout or OOM."""
    if parent.bug is not None:
        fixed = parent.with_bug(None)
        reason = f" ({error})" if error else ""
        plan = f"Debug: {BUG_STORIES[parent.bug]}{reason}; fix it."
    elif failure in ("timeout", "memory"):
        fixed, change = _shrink(parent)
        limit = "time" if failure == "timeout" else "memory"
        plan = f"Debug: the run hit its {limit} limit; {change}."
    else:
        fixed = replace(parent, cv_folds=max(3, parent.cv_folds - 1))
        plan = (
            f"Debug: the run failed ({error or failure}); "
            f"simplify validation to {fixed.cv_folds} folds."
        )
    # A fix sometimes introduces a new mistake, as real fixes do.
    return fixed.with_bug(maybe_bug(rng, bug_rate / 3)), plan


def _shrink(recipe: Recipe) -> tuple[Recipe, str]:
    if recipe.is_ensemble:
        dropped = recipe.members[-1]
        return (
            replace(recipe, members=recipe.members[:-1]),
            f"drop the ensemble's {MODELS[dropped.model].title}",
        )
    member = recipe.members[0]
    spec = MODELS[member.model]
    if member.tuned:  # the search multiplies the fits: drop it first
        return replace(recipe, members=(replace(member, tuned=False),)), (
            "fit the model once with its current hyperparameters instead of a randomized search"
        )
    params = dict(member.params)
    changes = []
    for name, factor in spec.shrink.items():
        old = params.get(name, spec.params[name].default)
        params[name] = max(int(spec.params[name].low), int(old * factor))
        changes.append(f"{name} {old} → {params[name]}")
    if changes:
        return replace(recipe, members=(replace(member, params=params),)), "reduce " + ", ".join(
            changes
        )
    return replace(recipe, cv_folds=3), "use 3-fold instead of 5-fold cross-validation"


def crossover(
    a: Recipe, b: Recipe, rng: np.random.Generator, *, bug_rate: float
) -> tuple[Recipe, str]:
    """Combine two parents into a soft-voting ensemble of their models."""
    members: list[Member] = []
    for member in (*a.members, *b.members):
        if all(member != kept for kept in members):
            members.append(member)
    if len(members) > MAX_ENSEMBLE:
        keep = sorted(rng.choice(len(members), size=MAX_ENSEMBLE, replace=False).tolist())
        members = [members[i] for i in keep]
    recipe = Recipe(
        members=tuple(members),
        log_target=a.log_target and b.log_target,
        cv_folds=min(a.cv_folds, b.cv_folds),
        bug=maybe_bug(rng, bug_rate),
    )
    titles = " + ".join(MODELS[m.model].title for m in members)
    return recipe, f"Crossover: average the predictions of both parents' models ({titles})."


def ideas(
    problem: Problem,
    k: int,
    count_families: Callable[[int], int],
    rng: np.random.Generator,
    *,
    families: Sequence[str] | None = None,
) -> list[tuple[Recipe, str]]:
    """K first solutions planned together (the ideation step): `count_families(available)`
    distinct families, dealt to the K slots from one seeded order (`ideation.deal`: nested
    across levels); a family's first slot has its defaults, a repeat gets another model of the
    family or varied hyperparameters."""
    specs = [s for s in models_for(problem) if families is None or s.family in families]
    by_family: dict[str, list[ModelSpec]] = {}
    for spec in specs:
        by_family.setdefault(spec.family, []).append(spec)
    names = sorted(by_family)
    planned: list[tuple[Recipe, str]] = []
    uses: Counter[str] = Counter()
    for family in deal(names, count_families(len(names)), k, rng):
        members = by_family[family]
        spec = members[uses[family] % len(members)]
        params = spec.defaults()
        if uses[family] >= len(members):  # every model of the family drafted: vary it
            for name in rng.permutation(sorted(spec.params))[:2]:
                params[str(name)] = spec.params[str(name)].perturb(params[str(name)], rng)
        uses[family] += 1
        scaler = "standard" if spec.scale_sensitive else "none"
        member = Member(spec.key, params, Preprocessing(scaler=scaler))
        planned.append((Recipe(members=(member,)), f"{spec.family}: {describe_member(member)}"))
    return planned
