{#- One-shot task (a Kubernetes Job: stacksalt-entrypoint --apply
    nova.controller.discover_hosts), never included by init.sls: map the compute hosts that
    registered since the last run to their cell. Runs only when a compute node is unmapped,
    as nova. (Or set scheduler:discover_hosts_in_cells_interval and let the scheduler do
    it.) #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import controller with context %}
{%- set conf = controller.config_file %}

include:
  - {{ tplroot }}.controller.config

nova-controller-discover-hosts-hosts-mapped:
  cmd.run:
    - name: nova-manage --config-file {{ conf }} cell_v2 discover_hosts
    - runas: {{ controller.user }}
    - unless: {{ controller.python }} {{ controller.cells_script }} {{ conf }} hosts-mapped
    - require:
      - sls: {{ tplroot }}.controller.config
