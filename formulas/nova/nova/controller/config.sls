{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import controller with context %}

include:
  - {{ tplroot }}.controller.install

{#- nova.conf holds the database, RabbitMQ and keystone passwords: root and group nova
    only, and no diff in the state's return. #}
nova-controller-config-file-managed:
  file.managed:
    - name: {{ controller.config_file }}
    - source: salt://{{ tplroot }}/files/nova.conf.jinja
    - template: jinja
    - user: root
    - group: {{ controller.group }}
    - mode: "0640"
    - show_changes: false
    - context:
        cfg: {{ controller | json }}
    - require:
      - sls: {{ tplroot }}.controller.install

{#- Our own ini, sized from the model (Debian's loads the apparmor plugin and runs too many
    processes). #}
nova-controller-uwsgi-config-file-managed:
  file.managed:
    - name: {{ controller.uwsgi_config_file }}
    - source: salt://{{ tplroot }}/files/nova-api-uwsgi.ini.jinja
    - template: jinja
    - mode: "0644"
    - context:
        cfg: {{ controller | json }}
    - require:
      - sls: {{ tplroot }}.controller.install

nova-controller-lock-directory-present:
  file.directory:
    - name: {{ controller.lock_path }}
    - user: {{ controller.user }}
    - group: {{ controller.group }}
    - mode: "0750"
    - makedirs: true
    - require:
      - sls: {{ tplroot }}.controller.install

{#- The one-shot tasks' checks (schema at head, cells present, hosts mapped). #}
nova-controller-check-scripts-managed:
  file.managed:
    - names:
      - {{ controller.check_script }}:
        - source: salt://{{ tplroot }}/files/db_current.py
      - {{ controller.cells_script }}:
        - source: salt://{{ tplroot }}/files/cells.py
    - makedirs: true
    - mode: "0755"
