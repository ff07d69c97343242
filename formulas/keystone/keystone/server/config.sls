{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import server with context %}

include:
  - {{ tplroot }}.server.install

{#- keystone.conf holds the database password: readable by root and group keystone only. #}
keystone-server-config-file-managed:
  file.managed:
    - name: {{ server.config_file }}
    - source: salt://{{ tplroot }}/files/keystone.conf.jinja
    - template: jinja
    - user: root
    - group: {{ server.group }}
    - mode: "0640"
    - show_changes: false
    - context:
        cfg: {{ server | json }}
    - require:
      - sls: {{ tplroot }}.server.install

keystone-server-uwsgi-config-file-managed:
  file.managed:
    - name: {{ server.uwsgi_config_file }}
    - source: salt://{{ tplroot }}/files/keystone-uwsgi.ini.jinja
    - template: jinja
    - mode: "0644"
    - context:
        cfg: {{ server | json }}
    - require:
      - sls: {{ tplroot }}.server.install

{#- Key repositories: volumes in containers (shared by the API's replicas), made here with
    the owner and mode keystone-manage wants; the keys are made by the bootstrap only. #}
keystone-server-key-repositories-present:
  file.directory:
    - names:
      - {{ server.fernet.key_repository }}
      - {{ server.credential.key_repository }}
    - user: {{ server.user }}
    - group: {{ server.group }}
    - mode: "0700"
    - makedirs: true
    - require:
      - sls: {{ tplroot }}.server.install

keystone-server-bootstrap-check-managed:
  file.managed:
    - name: {{ server.check_script }}
    - source: salt://{{ tplroot }}/files/bootstrapped.py
    - makedirs: true
    - mode: "0755"
