"""Curating tasks: check a folder, score a submission, build a reference leaderboard, import."""

from airlab.curation.check import CheckReport, check_task, score_submission

__all__ = ["CheckReport", "check_task", "score_submission"]
