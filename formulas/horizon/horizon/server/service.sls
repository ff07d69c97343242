{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import server with context %}

include:
  - {{ tplroot }}.server.config

{#- In an image (grain noservices) nothing starts: the entrypoint execs uwsgi. On a host a
    unit runs the same uwsgi. #}
{%- if not grains.get('noservices', False) %}

horizon-server-unit-file-managed:
  file.managed:
    - name: {{ server.systemd_dir }}/{{ server.service }}.service
    - source: salt://{{ tplroot }}/files/horizon.service.jinja
    - template: jinja
    - mode: "0644"
    - context:
        cfg: {{ server | json }}

horizon-server-service-running:
  service.running:
    - name: {{ server.service }}
    - enable: true
    - watch:
      - file: horizon-server-unit-file-managed
      - file: horizon-server-config-file-managed
      - file: horizon-server-uwsgi-config-file-managed
      - file: horizon-server-debian-snippets-absent
{%- endif %}
