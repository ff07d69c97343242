{#- The Galera member: packages, its configuration, the stacksalt agent that runs mariadbd,
    and the model's databases and accounts (applied on the leader, replicated by Galera). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import server with context %}
{%- if server.enabled %}
include:
  - .install
  - .config
  - .service
  - .databases
{%- endif %}
