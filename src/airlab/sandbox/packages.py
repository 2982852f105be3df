"""Which packages a candidate can import: asked once per run, inside the candidate's sandbox.

A 1.5B model told "Installed: numpy, pandas, scipy, scikit-learn (and whatever else is
importable)" wrote xgboost and tensorflow drafts that could not run. The prompt now names what is
installed and what is not (with scikit-learn's substitutes), and a script importing a module the
sandbox lacks goes to debug before it runs. Both read this probe: a tiny script run through the
run's own sandbox and Python (so it cannot disagree with real runs) that lists the usual ML
packages and every importable top-level module. The answer is kept in the journal's metadata,
so a resumed run does not ask again.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from airlab.sandbox.base import ExecutionLimits, ExecutionRequest, Sandbox

USUAL = (
    "numpy",
    "pandas",
    "scipy",
    "sklearn",
    "xgboost",
    "lightgbm",
    "catboost",
    "torch",
    "torchvision",
    "tensorflow",
    "keras",
    "jax",
    "statsmodels",
    "sktime",
    "optuna",
    "transformers",
)
"""The usual ML packages (import names) a prompt names as installed or missing."""

DISPLAY = {"sklearn": "scikit-learn"}

SUBSTITUTES = {
    "xgboost": "sklearn.ensemble.HistGradientBoostingClassifier / Regressor",
    "lightgbm": "sklearn.ensemble.HistGradientBoostingClassifier / Regressor",
    "catboost": "sklearn.ensemble.HistGradientBoostingClassifier / Regressor",
    "torch": "sklearn.neural_network.MLPClassifier / MLPRegressor",
    "torchvision": "sklearn.neural_network.MLPClassifier / MLPRegressor",
    "tensorflow": "sklearn.neural_network.MLPClassifier / MLPRegressor",
    "keras": "sklearn.neural_network.MLPClassifier / MLPRegressor",
    "jax": "sklearn.neural_network.MLPClassifier / MLPRegressor",
    "statsmodels": "sklearn.linear_model (LinearRegression, LogisticRegression, PoissonRegressor)",
    "sktime": "lag features with sklearn regressors",
    "optuna": "sklearn.model_selection.RandomizedSearchCV",
    "transformers": "sklearn.feature_extraction.text.TfidfVectorizer with a linear model",
}
"""What to use instead of a missing package, as the prompt and the import check say it."""

PROBE_LIMITS = ExecutionLimits(time_s=60.0, memory_mb=1024, output_bytes=1_000_000, disk_mb=16)

_SCRIPT = f"""
import importlib.util, json, pkgutil, sys
usual = {list(USUAL)!r}
found = {{}}
for name in usual:
    try:
        found[name] = importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        found[name] = False
modules = {{m.name for m in pkgutil.iter_modules()}}
modules |= set(sys.builtin_module_names) | set(getattr(sys, "stdlib_module_names", ()))
print(json.dumps({{"usual": found, "modules": sorted(modules)}}))
"""


@dataclass(frozen=True)
class Packages:
    """What the sandbox's Python can import."""

    installed: tuple[str, ...]
    """The usual packages found (import names, in `USUAL`'s order)."""
    missing: tuple[str, ...]
    """The usual packages not found."""
    modules: frozenset[str]
    """Every importable top-level module (standard library included)."""

    def has(self, module: str) -> bool:
        return module.split(".")[0] in self.modules

    def to_meta(self) -> dict[str, Any]:
        return {
            "installed": list(self.installed),
            "missing": list(self.missing),
            "modules": sorted(self.modules),
        }

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any]) -> Packages:
        return cls(
            tuple(meta.get("installed", ())),
            tuple(meta.get("missing", ())),
            frozenset(meta.get("modules", ())),
        )

    def prompt_text(self) -> str:
        """The machine's packages in one line, with the substitutes of the missing ones."""
        installed = ", ".join(display(n) for n in self.installed) or "(none of the usual)"
        text = f"Installed: {installed}, and the Python standard library."
        if self.missing:
            text += f" NOT installed (importing them fails): {', '.join(self.missing)}."
        subs = sorted({SUBSTITUTES[n] for n in self.missing if n in SUBSTITUTES})
        if subs and "sklearn" in self.installed:
            text += f" Use instead: {'; '.join(subs)}."
        return text


def display(name: str) -> str:
    return DISPLAY.get(name, name)


def probe_packages(sandbox: Sandbox, python: str | None = None) -> Packages:
    """Run the probe script in `sandbox`; raises RuntimeError with a one-line reason when it
    does not answer."""
    with tempfile.TemporaryDirectory(prefix="airlab-packages-probe-") as tmp:
        public, workdir = Path(tmp, "public"), Path(tmp, "work")
        public.mkdir()
        workdir.mkdir()
        request = ExecutionRequest(
            script=_SCRIPT, workdir=workdir, public_dir=public, limits=PROBE_LIMITS
        )
        if python:
            request = replace(request, python=python)
        result = sandbox.run(request)
    lines = result.stdout_tail.strip().splitlines()
    try:
        answer = json.loads(lines[-1])
        usual = answer["usual"]
        modules = frozenset(answer["modules"])
    except (IndexError, ValueError, KeyError, TypeError):
        why = (result.stderr_tail.strip().splitlines() or [f"exit code {result.exit_code}"])[-1]
        raise RuntimeError(f"the package probe did not answer: {why}") from None
    return Packages(
        installed=tuple(n for n in USUAL if usual.get(n)),
        missing=tuple(n for n in USUAL if not usual.get(n)),
        modules=modules,
    )
