{%- from tpldir.split('/')[0] ~ "/map.jinja" import server with context %}
{%- if server.enabled %}
include:
  - .install
  - .config
{#- On a host, a run-time request; in Kubernetes the Jobs apply db_sync and bootstrap. #}
{%- if server.bootstrap.enabled %}
  - .bootstrap
{%- endif %}
  - .service
{%- endif %}
