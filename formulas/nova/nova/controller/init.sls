{#- nova-api (uwsgi), nova-conductor, nova-scheduler. The one-shot tasks
    nova.controller.db_sync and nova.controller.discover_hosts are applied on their own
    (Jobs). #}
{%- from tpldir.split('/')[0] ~ "/map.jinja" import controller with context %}
{%- if controller.enabled %}
include:
  - .install
  - .config
  - .service
{%- endif %}
