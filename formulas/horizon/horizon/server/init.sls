{#- The dashboard (Debian's openstack-dashboard) under uwsgi. #}
{%- from tpldir.split('/')[0] ~ "/map.jinja" import server with context %}
{%- if server.enabled %}
include:
  - .install
  - .config
  - .service
{%- endif %}
