-- Campaign lists per customer segment: each segment's customers, most typical first (the
-- closest to the segment's centre), with the segment's label and what sets it apart, so a
-- marketer picks the message per segment and the list in one place.
with

customer_segments as (
    select * from {{ ref('customer_segments') }}
),

customer_segment_profiles as (
    select * from {{ ref('customer_segment_profiles') }}
),

customer_segment_features as (
    select * from {{ ref('customer_segment_features') }}
),

final as (
    select
        customer_segments.customer_id,
        customer_segments.segment,
        customer_segment_profiles.description as segment_description,
        customer_segments.probability as segment_probability,
        customer_segment_features.tier,
        customer_segment_features.region,
        customer_segment_features.spend_365d,
        customer_segments.model_version,
        coalesce(
            customer_segment_profiles.segment_label,
            'segment ' || cast(customer_segments.segment as varchar)
        ) as segment_name,
        row_number() over (
            partition by customer_segments.segment
            order by customer_segments.distance asc, customer_segments.customer_id asc
        ) as typicality_rank
    from customer_segments
    inner join customer_segment_profiles
        on customer_segments.segment = customer_segment_profiles.segment
    inner join customer_segment_features
        on customer_segments.customer_id = customer_segment_features.customer_id
)

select * from final
