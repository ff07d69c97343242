{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import server with context %}

include:
  - {{ tplroot }}.server.config

{#- In an image (grain noservices) nothing starts: the entrypoint execs uwsgi. #}
{%- if not grains.get('noservices', False) %}

placement-server-service-running:
  service.running:
    - name: {{ server.service }}
    - enable: true
    - watch:
      - file: placement-server-config-file-managed
      - file: placement-server-uwsgi-config-file-managed
{%- endif %}
