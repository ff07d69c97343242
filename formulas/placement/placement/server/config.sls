{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import server with context %}

include:
  - {{ tplroot }}.server.install

{#- placement.conf holds the database and keystone passwords: root and group placement
    only, and no diff in the state's return. #}
placement-server-config-file-managed:
  file.managed:
    - name: {{ server.config_file }}
    - source: salt://{{ tplroot }}/files/placement.conf.jinja
    - template: jinja
    - user: root
    - group: {{ server.group }}
    - mode: "0640"
    - show_changes: false
    - context:
        cfg: {{ server | json }}
    - require:
      - sls: {{ tplroot }}.server.install

{#- Our own ini, sized from the model (Debian's loads the apparmor plugin and runs 8-16
    processes). #}
placement-server-uwsgi-config-file-managed:
  file.managed:
    - name: {{ server.uwsgi_config_file }}
    - source: salt://{{ tplroot }}/files/placement-uwsgi.ini.jinja
    - template: jinja
    - mode: "0644"
    - context:
        cfg: {{ server | json }}
    - require:
      - sls: {{ tplroot }}.server.install

placement-server-db-check-managed:
  file.managed:
    - name: {{ server.check_script }}
    - source: salt://{{ tplroot }}/files/db_current.py
    - makedirs: true
    - mode: "0755"
