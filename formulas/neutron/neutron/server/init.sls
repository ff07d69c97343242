{#- neutron-server (ML2). The one-shot task neutron.server.db_sync is applied on its own (a
    Job). #}
{%- from tpldir.split('/')[0] ~ "/map.jinja" import server with context %}
{%- if server.enabled %}
include:
  - .install
  - .config
  - .service
{%- endif %}
