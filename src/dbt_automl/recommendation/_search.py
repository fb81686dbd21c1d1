"""The search over candidates and their hyperparameters, under the time budget.

Popularity is fitted first, whatever the budget: it is the floor. Then the tunable
candidates take turns, cheapest first: each one's first trial is its default (a warm
start), the next ones come from its own optuna TPE study. A candidate stops when its next
trial, estimated from its earlier ones, would not finish before the share of the budget kept
for the two final fits, or after ``MAX_TRIALS`` trials. One log line per trial.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from dbt_automl._log import Logger
from dbt_automl.recommendation._candidates import FAMILIES
from dbt_automl.recommendation._config import METRICS, RecommendConfig
from dbt_automl.recommendation._evaluate import Holdout, evaluate

# Share of the budget kept for the chosen candidate's two final fits (before the test
# holdout, and on everything).
FINAL_FIT_SHARE = 0.25
# Trials per tunable candidate, its default included: the spaces have 1 to 4 dimensions,
# and on one holdout more trials mostly fit its noise.
MAX_TRIALS = 16
STARTUP_TRIALS = 4


@dataclass
class Trial:
    """One fitted configuration and its validation metrics."""

    candidate: str
    params: dict[str, Any]
    metrics: dict[str, float]
    seconds: float

    def row(self, chosen: bool) -> dict[str, Any]:
        """The trial as a leaderboard row."""
        return {
            "candidate": self.candidate,
            "params": self.params,
            **self.metrics,
            "seconds": round(self.seconds, 3),
            "chosen": chosen,
        }


class Search:
    """Candidates tried in turns until the budget or the trial caps are spent."""

    def __init__(self, cfg: RecommendConfig, log: Logger, deadline: float) -> None:
        self.cfg, self.log = cfg, log
        self.stop = deadline - FINAL_FIT_SHARE * cfg.time_budget_s
        self.trials: list[Trial] = []
        self.stopped: dict[str, str] = {}

    def run(self, strength: sp.csr_matrix, holdout: Holdout) -> list[Trial]:
        """Every trial, popularity's first."""
        self._trial("popularity", {}, strength, holdout)
        tunable = [c for c in self.cfg.candidates if FAMILIES[c].tunable]
        if not tunable:
            return self.trials
        studies = self._studies(tunable)
        active = list(tunable)
        while active:
            for name in list(active):
                reason = self._why_stop(name)
                if reason:
                    self.stopped[name] = reason
                    active.remove(name)
                    continue
                trial = studies[name].ask()
                params = FAMILIES[name].suggest(trial)
                value = self._trial(name, params, strength, holdout).metrics[self.cfg.metric]
                _tell(studies[name], trial, value)
        return self.trials

    def summary(self) -> dict[str, Any]:
        """Trials per candidate and why each stopped."""
        counts: dict[str, int] = {}
        for t in self.trials:
            counts[t.candidate] = counts.get(t.candidate, 0) + 1
        return {"trials": counts, "stopped": self.stopped, "budget_s": self.cfg.time_budget_s}

    def _studies(self, names: list[str]) -> dict[str, Any]:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        studies = {}
        for name in names:
            sampler = optuna.samplers.TPESampler(
                seed=self.cfg.seed, n_startup_trials=STARTUP_TRIALS
            )
            study = optuna.create_study(direction="maximize", sampler=sampler)
            default = FAMILIES[name].default()
            study.enqueue_trial({f"{name}__{k}": v for k, v in default.items()})
            studies[name] = study
        return studies

    def _why_stop(self, name: str) -> str | None:
        done = [t.seconds for t in self.trials if t.candidate == name]
        if len(done) >= MAX_TRIALS:
            return f"{MAX_TRIALS} trials"
        estimate = float(np.mean(done)) if done else 0.0
        left = self.stop - time.perf_counter()
        if left <= estimate:
            return f"budget: next trial ~{estimate:.1f}s, {max(left, 0):.1f}s left for search"
        return None

    def _trial(
        self, name: str, params: dict[str, Any], strength: sp.csr_matrix, holdout: Holdout
    ) -> Trial:
        started = time.perf_counter()
        try:
            scorer = FAMILIES[name].fit(strength, params, self.cfg.seed)
            metrics = evaluate(scorer, holdout, self.cfg.n, self.cfg.exclude_seen)
        except (ValueError, ArithmeticError, MemoryError) as error:
            self.log.warning(f"{self.cfg.model_name} candidate {name} {params} failed: {error}")
            metrics = {m: float("nan") for m in (*METRICS, "coverage")}
        trial = Trial(name, params, metrics, time.perf_counter() - started)
        self.trials.append(trial)
        self._log(trial)
        return trial

    def _log(self, trial: Trial) -> None:
        n, m = self.cfg.n, trial.metrics
        shown = ", ".join(
            f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in trial.params.items()
        )
        self.log.info(
            f"{self.cfg.model_name} candidate {trial.candidate:<10} {shown or 'no parameters'}: "
            f"validation precision@{n} {m['precision_at_n']:.4f}, recall@{n} "
            f"{m['recall_at_n']:.4f}, NDCG@{n} {m['ndcg_at_n']:.4f} ({trial.seconds:.2f}s)"
        )


def _tell(study: Any, trial: Any, value: float) -> None:
    import optuna

    if np.isfinite(value):
        study.tell(trial, value)
    else:  # a failed fit, or no user to evaluate: nothing for TPE to learn from
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
