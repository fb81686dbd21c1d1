"""Model cards: one page per registered version (task, data, metrics against their dbt
test thresholds, leaderboard, chosen model, decisions, status and history, plots), written
into the version's ``card/`` folder and published for the dbt docs page of the model.

Typical use::

    from dbt_automl.cards import publish_card
    from dbt_automl.registry import Registry, registry_root

    publish_card(Registry(registry_root()), "churn_model")  # -> assets/cards/churn_model/card.html

Training (``dbt_automl.train`` and every task's glue) calls :func:`publish_after_train`,
so ``dbt build`` then ``dbt docs generate`` shows each model's card. matplotlib is
imported only when a plot is drawn.
"""

from __future__ import annotations

from dbt_automl.cards._card import CARD_FORMAT, STAMP_FILE
from dbt_automl.cards._paths import CARD_DIR, CARDS_ENV, cards_root, manifest_path
from dbt_automl.cards._publish import publish_after_train, publish_card, render_card

__all__ = [
    "CARDS_ENV",
    "CARD_DIR",
    "CARD_FORMAT",
    "STAMP_FILE",
    "cards_root",
    "manifest_path",
    "publish_after_train",
    "publish_card",
    "render_card",
]
