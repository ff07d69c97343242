{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import server with context %}

include:
  - {{ tplroot }}.server.install

{#- neutron.conf holds the database, RabbitMQ and keystone passwords: root and group
    neutron only, and no diff in the state's return. #}
neutron-server-config-file-managed:
  file.managed:
    - name: {{ server.config_file }}
    - source: salt://{{ tplroot }}/files/neutron-server.conf.jinja
    - template: jinja
    - user: root
    - group: {{ server.group }}
    - mode: "0640"
    - show_changes: false
    - context:
        cfg: {{ server | json }}
    - require:
      - sls: {{ tplroot }}.server.install

neutron-server-ml2-config-file-managed:
  file.managed:
    - name: {{ server.ml2_config_file }}
    - source: salt://{{ tplroot }}/files/ml2_conf.ini.jinja
    - template: jinja
    - user: root
    - group: {{ server.group }}
    - mode: "0644"
    - makedirs: true
    - context:
        cfg: {{ server | json }}
    - require:
      - sls: {{ tplroot }}.server.install

neutron-server-lock-directory-present:
  file.directory:
    - name: {{ server.lock_path }}
    - user: {{ server.user }}
    - group: {{ server.group }}
    - mode: "0750"
    - makedirs: true
    - require:
      - sls: {{ tplroot }}.server.install

neutron-server-db-check-managed:
  file.managed:
    - name: {{ server.check_script }}
    - source: salt://{{ tplroot }}/files/db_current.py
    - makedirs: true
    - mode: "0755"
