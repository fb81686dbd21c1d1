import dbt_automl


def model(dbt, session):
    return dbt_automl.segment_profiles(dbt, session, dbt.ref("customer_segment_model"))
