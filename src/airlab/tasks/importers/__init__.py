"""Importers: turn a task of another benchmark (MLE-bench, MLGym, AIRS-Bench) into a task folder."""

from airlab.tasks.importers.airs import import_airs
from airlab.tasks.importers.mlebench import import_mlebench
from airlab.tasks.importers.mlgym import import_mlgym

IMPORTERS = ("mlebench", "mlgym", "airs")

__all__ = ["IMPORTERS", "import_airs", "import_mlebench", "import_mlgym"]
