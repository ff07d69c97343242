{%- from tpldir.split('/')[0] ~ "/map.jinja" import server with context %}
{%- if server.enabled %}
include:
  - .validate
  - .install
  - .config
  - .service
  - .cluster
{%- endif %}
