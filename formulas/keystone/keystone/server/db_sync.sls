{#- One-shot (a Job applies it: stacksalt-entrypoint --apply keystone.server.db_sync): the
    schema, as user keystone; looks first, so a second run changes nothing. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import server with context %}

include:
  - {{ tplroot }}.server.config

keystone-server-db-synced:
  cmd.run:
    - name: keystone-manage db_sync
    - runas: {{ server.user }}
    - unless: keystone-manage db_sync --check
    - require:
      - sls: {{ tplroot }}.server.config
