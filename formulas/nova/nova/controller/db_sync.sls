{#- One-shot task (a Kubernetes Job: stacksalt-entrypoint --apply nova.controller.db_sync),
    never included by init.sls: the API database schema, cell0's mapping, cell1, then the
    cells' schema (nova-manage db sync upgrades cell1's database and cell0's). Each step
    looks first, so a second run changes nothing; each runs as nova. No URL and no password
    on a command line: nova-manage reads them from nova.conf (cell0's database is
    <database name>_cell0, cell1 gets nova.conf's database and transport_url). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import controller with context %}
{%- set conf = controller.config_file %}
{%- set check = controller.python ~ ' ' ~ controller.check_script ~ ' ' ~ conf %}
{%- set cells = controller.python ~ ' ' ~ controller.cells_script ~ ' ' ~ conf %}
{%- set migrations = controller.package_dir ~ '/db/%s/migrations' %}

include:
  - {{ tplroot }}.controller.config

nova-controller-db-sync-api-db-synced:
  cmd.run:
    - name: nova-manage --config-file {{ conf }} api_db sync
    - runas: {{ controller.user }}
    - unless: {{ check }} api_database --script-location {{ migrations | format('api') }}
    - require:
      - sls: {{ tplroot }}.controller.config

nova-controller-db-sync-cell0-mapped:
  cmd.run:
    - name: nova-manage --config-file {{ conf }} cell_v2 map_cell0
    - runas: {{ controller.user }}
    - unless: {{ cells }} cell-present cell0
    - require:
      - cmd: nova-controller-db-sync-api-db-synced

nova-controller-db-sync-cell-created:
  cmd.run:
    - name: >-
        nova-manage --config-file {{ conf }} cell_v2 create_cell
        --name {{ controller.cell_name }}
    - runas: {{ controller.user }}
    - unless: {{ cells }} cell-present {{ controller.cell_name }}
    - require:
      - cmd: nova-controller-db-sync-cell0-mapped

nova-controller-db-sync-db-synced:
  cmd.run:
    - name: nova-manage --config-file {{ conf }} db sync
    - runas: {{ controller.user }}
    - unless:
      - {{ check }} database --script-location {{ migrations | format('main') }}
      - >-
        {{ check }} database --script-location {{ migrations | format('main') }}
        --database-suffix _cell0
    - require:
      - cmd: nova-controller-db-sync-cell-created
