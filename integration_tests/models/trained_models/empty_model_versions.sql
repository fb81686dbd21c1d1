-- A trained-model table with no rows: no model has been registered yet.
select * from {{ ref('churn_model_versions') }}
where false
