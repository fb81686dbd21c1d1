-- Regressor output: no probability columns. Valid and planted-error rows side by side
-- (`scenario`), so the tests select theirs with a `where` config.
select
    scenario,
    store_id,
    sale_date,
    prediction,
    model_name,
    model_version,
    scored_at
from {{ ref('regression_prediction_rows') }}
