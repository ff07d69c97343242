{#- One-shot task (a Kubernetes Job: stacksalt-entrypoint --apply placement.server.db_sync),
    never included by init.sls: the schema, as placement, only when it is not at the head of
    placement's migrations, so a second run changes nothing. The database URL is read from
    placement.conf, never passed on a command line. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import server with context %}

include:
  - {{ tplroot }}.server.config

placement-server-db-sync-db-synced:
  cmd.run:
    - name: placement-manage --config-file {{ server.config_file }} db sync
    - runas: {{ server.user }}
    - unless: >-
        {{ server.python }} {{ server.check_script }} {{ server.config_file }}
        placement_database --script-location {{ server.migrations_dir }}
    - require:
      - sls: {{ tplroot }}.server.config
