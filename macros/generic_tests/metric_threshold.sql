{#-
    Short name for expect_model_metric_to_be_between (same arguments, same checks): the
    current version of a trained model must score test_<metric> within the given bounds.
-#}
{% test metric_threshold(model, metric, min_value=none, max_value=none) %}
    {{ return(adapter.dispatch('test_metric_threshold', 'dbt_automl')(model, metric, min_value, max_value)) }}
{% endtest %}


{% macro default__test_metric_threshold(model, metric, min_value, max_value) %}
    {{ return(dbt_automl.default__test_expect_model_metric_to_be_between(
        model, metric, min_value, max_value, test_name='metric_threshold')) }}
{% endmacro %}
