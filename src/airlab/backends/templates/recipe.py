"""A candidate as data: which model(s), which preprocessing, and any bug it carries.

The templates backend edits recipes (draft, improve, debug, crossover) and renders them to code;
the recipe is stored on the node, so later operators can read what the parent was.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

SCALERS = ("standard", "robust", "minmax", "quantile", "none")
IMPUTERS = ("median", "mean")
BUGS = ("missing_import", "wrong_target", "submission_column", "length_mismatch")


@dataclass(frozen=True)
class Preprocessing:
    impute: str = "median"
    scaler: str = "standard"
    pca: float | None = None
    """Fraction of variance PCA keeps, or None for no PCA."""


@dataclass(frozen=True)
class Member:
    """One model with its own preprocessing."""

    model: str
    params: dict[str, Any]
    preprocessing: Preprocessing = field(default_factory=Preprocessing)
    tuned: bool = False
    """The script searches the model's hyperparameters itself (randomized search, cross-validated
    on the training data); `params` are then only where the search starts from."""


@dataclass(frozen=True)
class Recipe:
    """A whole solution: one model, or a soft-voting ensemble of several."""

    members: tuple[Member, ...]
    log_target: bool = False
    cv_folds: int = 5
    bug: str | None = None

    @property
    def is_ensemble(self) -> bool:
        return len(self.members) > 1

    def with_bug(self, bug: str | None) -> Recipe:
        return replace(self, bug=bug)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for member in data["members"]:
            member["params"] = {k: _jsonable(v) for k, v in member["params"].items()}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Recipe:
        members = tuple(
            Member(
                model=m["model"],
                params={k: _from_json(v) for k, v in m["params"].items()},
                preprocessing=Preprocessing(**m["preprocessing"]),
                tuned=bool(m.get("tuned", False)),
            )
            for m in data["members"]
        )
        return cls(
            members=members,
            log_target=bool(data.get("log_target", False)),
            cv_folds=int(data.get("cv_folds", 5)),
            bug=data.get("bug"),
        )


def _jsonable(value: Any) -> Any:
    return {"tuple": list(value)} if isinstance(value, tuple) else value


def _from_json(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"tuple"}:
        return tuple(value["tuple"])
    return value
