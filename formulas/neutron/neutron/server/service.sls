{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import server with context %}

include:
  - {{ tplroot }}.server.config

{#- In an image (grain noservices) nothing starts: the entrypoint execs neutron-server. #}
{%- if not grains.get('noservices', False) %}

neutron-server-service-running:
  service.running:
    - name: {{ server.service }}
    - enable: true
    - watch:
      - file: neutron-server-config-file-managed
      - file: neutron-server-ml2-config-file-managed
{%- endif %}
