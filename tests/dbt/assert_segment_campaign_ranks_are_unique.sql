-- segment_campaign_list gives each customer of a segment its own typicality rank.
with

segment_campaign_list as (
    select * from {{ ref('segment_campaign_list') }}
),

repeated_ranks as (
    select
        'segment ' || cast(segment as varchar) || ' repeats typicality_rank '
        || cast(typicality_rank as varchar) as failure
    from segment_campaign_list
    group by segment, typicality_rank
    having count(*) > 1
)

select * from repeated_ranks
