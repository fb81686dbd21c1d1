import dbt_automl


def model(dbt, session):
    # Only categories that still have an offer (the seed) are recommended.
    return dbt_automl.recommend(
        dbt,
        session,
        model=dbt.ref("card_offer_model"),
        catalogue=dbt.ref("card_offer_catalogue"),
    )
