{#-
    A trained model's prediction for each row, as a SQL expression (dbt-duckdb with the
    dbt_automl plugin enabled in profiles.yml):

        select
            t.transaction_id,
            {{ dbt_automl.predict('fraud_model', relation_alias='t') }} as fraud_probability
        from {{ ref('transaction_features') }} as t

    expands to a call of the plugin's SQL function with the features of the model's current
    version packed into one struct, in the model's feature order:

        /* fraud_model v3 */ dbt_automl_predict('fraud_model', 'probability', struct_pack(
            "amount" := t."amount", ...))

    The feature list, task and target type come from dbt_automl_model_info('fraud_model')
    when the calling model runs (the registry's newest version, the one the function then
    scores with). At parse time the macro ref()s the trained model, so the caller is built
    after it, and returns a placeholder.

    output: 'probability' (binary; the default there), 'prediction' (the default for
    multiclass and regression; a class comes back in the target's type) or 'probabilities'
    (classification: a MAP(VARCHAR, DOUBLE) of class -> probability).

    The function exists only inside the dbt process: models that call it are tables.
-#}
{% macro predict(model_name, relation_alias=none, output=none) %}
    {{ return(adapter.dispatch('predict', 'dbt_automl')(model_name, relation_alias, output)) }}
{% endmacro %}


{% macro default__predict(model_name, relation_alias, output) %}
    {{ exceptions.raise_compiler_error(
        "dbt_automl.predict: needs dbt-duckdb with the dbt_automl plugin, got adapter "
        ~ adapter.type() ~ ". Fix: score with a python model (dbt_automl.score) instead.") }}
{% endmacro %}


{% macro duckdb__predict(model_name, relation_alias, output) %}
    {%- do dbt_automl._validate_predict_args(model_name, relation_alias, output) -%}
    {#- Recorded at parse time: the caller depends on the trained model. -#}
    {%- do ref(model_name) -%}
    {%- if not execute -%}
        {{ return('cast(null as double)') }}
    {%- endif -%}
    {%- set info = dbt_automl._model_info(model_name) -%}
    {%- if info.version is none -%}
        {#- Compiling (dbt compile, docs, sqlfluff) before the model was ever trained. -#}
        {%- if flags.WHICH not in ['run', 'build', 'retry', 'show'] -%}
            {{ return('cast(null as double) /* ' ~ model_name ~ ' is not trained yet */') }}
        {%- endif -%}
        {{ exceptions.raise_compiler_error(
            "dbt_automl.predict: model " ~ model_name ~ " has no registered version in "
            ~ info.registry ~ ". Fix: build it first (`dbt build --select " ~ model_name
            ~ "+`), or point the plugin's registry_path (profiles.yml) at the registry it "
            ~ "was trained into.") }}
    {%- endif -%}
    {%- set chosen = output or ('probability' if info.task == 'binary' else 'prediction') -%}
    {%- if chosen not in info.outputs -%}
        {{ exceptions.raise_compiler_error(
            "dbt_automl.predict: model " ~ model_name ~ " v" ~ info.version ~ " is "
            ~ info.task ~ ": its outputs are " ~ info.outputs | join(', ') ~ ", got output='"
            ~ chosen ~ "'. Fix: ask for one of those.") }}
    {%- endif -%}
    {%- set name = "'" ~ model_name | replace("'", "''") ~ "'" -%}
    {%- set features = dbt_automl._packed_features(info.features, relation_alias) -%}
    {%- if chosen == 'probabilities' -%}
        {%- set call = 'dbt_automl_predict_probabilities(' ~ name ~ ', ' ~ features ~ ')' -%}
    {%- elif chosen == 'prediction' and info.task != 'regression' -%}
        {%- set call = 'cast(dbt_automl_predict_label(' ~ name ~ ', ' ~ features ~ ') as '
            ~ info.target_type ~ ')' -%}
    {%- else -%}
        {%- set call = 'dbt_automl_predict(' ~ name ~ ", '" ~ chosen ~ "', " ~ features ~ ')' -%}
    {%- endif -%}
    {{ return('/* ' ~ model_name ~ ' v' ~ info.version ~ ' */ ' ~ call) }}
{% endmacro %}


{#- Refuses bad arguments up front, naming the macro, what it expects and what it got. -#}
{% macro _validate_predict_args(model_name, relation_alias, output) %}
    {%- set who = 'dbt_automl.predict' -%}
    {%- if model_name is not string or model_name | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            who ~ ": `model_name` must be the name of a trained model, e.g. 'fraud_model', got "
            ~ (model_name | tojson)) }}
    {%- endif -%}
    {%- if relation_alias is not none and (relation_alias is not string
        or relation_alias | length == 0) -%}
        {{ exceptions.raise_compiler_error(
            who ~ ": `relation_alias` must be the alias of the relation holding the features, "
            ~ "e.g. 't', got " ~ (relation_alias | tojson)) }}
    {%- endif -%}
    {%- if output is not none and output not in ['probability', 'prediction', 'probabilities'] -%}
        {{ exceptions.raise_compiler_error(
            who ~ ": `output` must be 'probability', 'prediction' or 'probabilities', got "
            ~ (output | tojson)) }}
    {%- endif -%}
{% endmacro %}


{#- The current version's description, from the plugin (stops with a fix without it). -#}
{% macro _model_info(model_name) %}
    {%- set found = run_query(
        "select count(*) from duckdb_functions() where function_name = 'dbt_automl_model_info'") -%}
    {%- if found.columns[0].values()[0] == 0 -%}
        {{ exceptions.raise_compiler_error(
            "dbt_automl.predict: the dbt_automl plugin is not enabled for target '"
            ~ target.name ~ "', so the SQL functions do not exist. Fix: add "
            ~ "`plugins: [{module: dbt_automl.plugin}]` to that output in profiles.yml.") }}
    {%- endif -%}
    {%- set result = run_query(
        "select dbt_automl_model_info('" ~ model_name | replace("'", "''") ~ "')") -%}
    {{ return(fromjson(result.columns[0].values()[0])) }}
{% endmacro %}


{#- struct_pack("f1" := alias."f1", ...), one feature a line, in the model's order. -#}
{% macro _packed_features(features, relation_alias) %}
    {%- set prefix = relation_alias ~ '.' if relation_alias else '' -%}
    {%- set fields = [] -%}
    {%- for feature in features -%}
        {%- do fields.append(adapter.quote(feature) ~ ' := ' ~ prefix ~ adapter.quote(feature)) -%}
    {%- endfor -%}
    {{ return('struct_pack(\n        ' ~ fields | join(',\n        ') ~ '\n    )') }}
{% endmacro %}
