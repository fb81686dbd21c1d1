"""The demo: a deterministic, realistically messy data lake for a retail bank.

Used by ``make demo`` and the tests; the engine never imports it.
"""

from __future__ import annotations

from dbt_automl.demo._common import AS_OF, CATEGORY_SPELLINGS, REGION_SPELLINGS, TIER_SPELLINGS
from dbt_automl.demo._lake import SCALES, LakeSummary, Scale, generate_lake, resolve_scale

__all__ = [
    "AS_OF",
    "CATEGORY_SPELLINGS",
    "REGION_SPELLINGS",
    "SCALES",
    "TIER_SPELLINGS",
    "LakeSummary",
    "Scale",
    "generate_lake",
    "resolve_scale",
]
