{#-
    on-run-start hook: fails the run early, with a fix, when a lake source cannot be read.

    For every enabled source with meta.external_location (dbt-duckdb reads those directly
    from files), it renders the location as dbt-duckdb does (via source()), then
      1. for local paths: checks that the path pattern matches at least one file, and that
         each matched .parquet file has a readable footer (a truncated file does not);
      2. runs `select count(*) from <location>`.
    Jinja has no try/except, so steps that may raise go through dbt's try_or_compiler_error
    or dbt-duckdb's adapter.location_exists, which turn a DuckDB error into our message.

    The error ends with a fix: the source's meta.lake_fix_hint when it has one (how to
    rebuild its files), else generic advice; both point at the yml that declares the source.

    Usage (dbt_project.yml):  on-run-start: ["{{ dbt_automl.check_lake_sources() }}"]
    Skip with --vars '{dbt_automl_check_lake: false}'.
-#}
{% macro check_lake_sources() %}
    {%- set enabled = var('dbt_automl_check_lake', true) | string | lower -%}
    {%- if execute and enabled not in ['false', '0', 'no', 'off'] -%}
        {%- for node in graph.sources.values() if dbt_automl._is_lake_source(node) -%}
            {%- do dbt_automl._check_lake_source(node) -%}
        {%- endfor -%}
    {%- endif -%}
    {#- Nothing for the hook itself to run: dbt skips an empty hook statement. -#}
    {{ return('') }}
{% endmacro %}


{% macro _is_lake_source(node) %}
    {%- set meta = node.meta or {} -%}
    {{ return(node.config.enabled and meta.get('external_location') and not meta.get('plugin')) }}
{% endmacro %}


{% macro _check_lake_source(node) %}
    {#- source() returns dbt-duckdb's relation, which renders the external location itself. -#}
    {%- set location = source(node.source_name, node.name) | string -%}
    {%- set problem = "dbt_automl: lake source " ~ node.source_name ~ "." ~ node.name
        ~ " cannot be read from " ~ location ~ ": " -%}
    {%- set fix = dbt_automl._lake_fix_hint(node) -%}

    {%- for pattern in dbt_automl._local_path_patterns(location) -%}
        {%- set files = dbt_automl._glob(
            pattern, problem ~ "cannot list files matching '" ~ pattern ~ "'" ~ fix) -%}
        {%- if files | length == 0 -%}
            {{ exceptions.raise_compiler_error(
                problem ~ "no file matches '" ~ pattern ~ "'" ~ fix) }}
        {%- endif -%}
        {%- set unreadable = dbt_automl._unreadable_parquet_files(files) -%}
        {%- if unreadable -%}
            {{ exceptions.raise_compiler_error(
                problem ~ unreadable | length ~ " of " ~ files | length
                ~ " matched files cannot be read as Parquet (truncated or corrupt): "
                ~ unreadable | join(', ') ~ fix) }}
        {%- endif -%}
    {%- endfor -%}

    {#- Anything else (bad JSON line, schema clash, remote path): the count query fails. -#}
    {%- set count_sql = "select count(*) from " ~ location -%}
    {%- do try_or_compiler_error(
        problem ~ "DuckDB failed on `" ~ count_sql
        ~ "` (DuckDB's error is in dbt's debug log, logs/dbt.log)" ~ fix,
        run_query, count_sql) -%}
{% endmacro %}


{#-
    The "Fix:" text. A source that knows how its files are made says so in
    meta.lake_fix_hint (the demo's sources: `make lake`); any other gets generic advice.
-#}
{% macro _lake_fix_hint(node) %}
    {%- set hint = (node.meta or {}).get('lake_fix_hint')
        or "check that the files exist at that location and are complete" -%}
    {{ return(". Fix: " ~ hint ~ ", or correct meta.external_location in "
        ~ dbt_automl._source_file(node) ~ ".") }}
{% endmacro %}


{#-
    Parquet files whose footer DuckDB cannot read (a truncated file has no footer).
    adapter.location_exists runs `select 1 from '<file>' where 1=0` and returns false on error.
-#}
{% macro _unreadable_parquet_files(files) %}
    {%- set unreadable = [] -%}
    {%- for file in files if (file | lower).endswith('.parquet') -%}
        {%- if not adapter.location_exists(file.replace("'", "''")) -%}
            {%- do unreadable.append(file) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(unreadable) }}
{% endmacro %}


{#- Where the source is declared, for the "Fix:" hint. -#}
{% macro _source_file(node) %}
    {%- if node.package_name == project_name -%}
        {{ return(node.original_file_path) }}
    {%- else -%}
        {{ return(node.original_file_path ~ " of package " ~ node.package_name) }}
    {%- endif -%}
{% endmacro %}


{#-
    The local file patterns a rendered location reads: the quoted path itself, or the first
    argument of a table function (a string or a list of strings). Remote URLs (s3://, ...)
    are left to the count query: listing them needs an extension that may not be loaded.
-#}
{% macro _local_path_patterns(location) %}
    {%- set call = modules.re.match(
        "^\\s*\\w+\\s*\\(\\s*(\\[[^\\]]*\\]|'(?:[^']|'')*')", location) -%}
    {%- set first_argument = call.group(1) if call else location -%}
    {%- set patterns = [] -%}
    {%- for quoted in modules.re.findall("'((?:[^']|'')*)'", first_argument) -%}
        {%- set pattern = quoted.replace("''", "'") -%}
        {%- if '://' not in pattern -%}
            {%- do patterns.append(pattern) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(patterns) }}
{% endmacro %}


{% macro _glob(pattern, message_if_error) %}
    {%- set sql = "select file from glob('" ~ pattern.replace("'", "''") ~ "') order by file" -%}
    {%- set result = try_or_compiler_error(message_if_error, run_query, sql) -%}
    {{ return(result.columns[0].values() | list) }}
{% endmacro %}
