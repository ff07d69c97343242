{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import compute with context %}

include:
  - {{ tplroot }}.compute.config

{#- In an image (grain noservices) nothing starts: the entrypoint execs the launcher. On a
    host a unit runs it (there is no distro unit: the nova-compute package is not
    installed). #}
{%- if not grains.get('noservices', False) %}

nova-compute-unit-file-managed:
  file.managed:
    - name: {{ compute.systemd_dir }}/{{ compute.service }}.service
    - source: salt://{{ tplroot }}/files/nova-compute.service.jinja
    - template: jinja
    - mode: "0644"
    - context:
        cfg: {{ compute | json }}

nova-compute-service-running:
  service.running:
    - name: {{ compute.service }}
    - enable: true
    - watch:
      - file: nova-compute-unit-file-managed
      - file: nova-compute-config-file-managed
      - file: nova-compute-launcher-managed
{%- endif %}
