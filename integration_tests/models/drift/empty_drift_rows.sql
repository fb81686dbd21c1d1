-- A drift table with no rows: nothing was compared.
select * from {{ ref('stable_drift_rows') }}
where false
