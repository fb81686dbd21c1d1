import dbt_automl


def model(dbt, session):
    # Segment ids are matched to the previous version's, so they keep their meaning.
    return dbt_automl.segment(
        dbt,
        session,
        model=dbt.ref("customer_segment_model"),
        rows=dbt.ref("customer_segment_features"),
    )
