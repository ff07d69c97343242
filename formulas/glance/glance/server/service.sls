{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import server with context %}

include:
  - {{ tplroot }}.server.config

{#- In an image (grain noservices) nothing starts: the entrypoint execs glance-api. #}
{%- if not grains.get('noservices', False) %}

glance-server-service-running:
  service.running:
    - name: {{ server.service }}
    - enable: true
    - watch:
      - file: glance-server-config-file-managed
{%- endif %}
