{#- One-shot task (a Kubernetes Job: stacksalt-entrypoint --apply neutron.server.db_sync),
    never included by init.sls: 'neutron-db-manage upgrade heads' (expand and contract
    branches), as neutron, only when the database is not at both heads the package ships
    (EXPAND_HEAD, CONTRACT_HEAD), so a second run changes nothing. The database URL is read
    from the config files, never passed on a command line. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import server with context %}
{%- set heads = server.migrations_dir ~ '/versions/' %}

include:
  - {{ tplroot }}.server.config

neutron-server-db-sync-db-synced:
  cmd.run:
    - name: >-
        neutron-db-manage --config-file {{ server.config_file }}
        --config-file {{ server.ml2_config_file }} upgrade heads
    - runas: {{ server.user }}
    - unless: >-
        {{ server.python }} {{ server.check_script }} {{ server.config_file }} database
        --head-file {{ heads }}EXPAND_HEAD --head-file {{ heads }}CONTRACT_HEAD
    - require:
      - sls: {{ tplroot }}.server.config
