{#- One-shot task (a Kubernetes Job: stacksalt-entrypoint --apply glance.server.db_sync),
    never included by init.sls: the schema (expand, data migrations, contract), as glance,
    only when 'glance-manage db check' says an upgrade is pending, so a second run changes
    nothing. The database URL is read from glance-api.conf, never passed on a command
    line. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import server with context %}
{%- set manage = 'glance-manage --config-file ' ~ server.config_file %}

include:
  - {{ tplroot }}.server.config

glance-server-db-sync-db-synced:
  cmd.run:
    - name: {{ manage }} db_sync
    - runas: {{ server.user }}
    - unless: {{ manage }} db check
    - require:
      - sls: {{ tplroot }}.server.config
