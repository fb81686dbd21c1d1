-- Binary classifier output: probability of the positive class and a class -> probability map.
with

prediction_rows as (
    select * from {{ ref('binary_prediction_rows') }}
    where scenario = 'invalid'
)

select
    customer_id,
    prediction,
    probability,
    map(['false', 'true'], [p_false, p_true]) as probabilities,
    model_name,
    model_version,
    scored_at
from prediction_rows
