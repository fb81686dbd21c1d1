-- Multiclass classifier output: a class -> probability map, no single probability column.
with

prediction_rows as (
    select * from {{ ref('multiclass_prediction_rows') }}
    where scenario = 'valid'
)

select
    flower_id,
    prediction,
    map(['setosa', 'versicolor', 'virginica'], [p_setosa, p_versicolor, p_virginica])
        as probabilities,
    model_name,
    model_version,
    scored_at
from prediction_rows
