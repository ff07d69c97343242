{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import server, instances, vhosts, policy_services with context %}

include:
  - {{ tplroot }}.server.install

rabbitmq-server-unit-template-managed:
  file.managed:
    - name: {{ server.systemd_dir }}/rabbitmq-server@.service
    - source: salt://{{ tplroot }}/files/rabbitmq-server@.service.jinja
    - template: jinja
    - mode: "0644"
    - context:
        cfg: {{ server | json }}
    - require:
      - sls: {{ tplroot }}.server.install

{%- for inst in instances %}

rabbitmq-server-{{ inst.name }}-directories-present:
  file.directory:
    - names:
      - {{ inst.data_dir }}
      - {{ inst.log_dir }}
    - user: {{ server.user }}
    - group: {{ server.group }}
    - mode: "0750"
    - makedirs: true
    - require:
      - sls: {{ tplroot }}.server.install

rabbitmq-server-{{ inst.name }}-conf-dir-present:
  file.directory:
    - name: {{ inst.conf_dir }}
    - user: root
    - group: {{ server.group }}
    - mode: "0750"
    - makedirs: true
    - require:
      - sls: {{ tplroot }}.server.install

rabbitmq-server-{{ inst.name }}-cookie-managed:
  file.managed:
    - name: {{ inst.data_dir }}/.erlang.cookie
    - contents_pillar: rabbitmq:server:instances:{{ inst.name }}:cookie
    - user: {{ server.user }}
    - group: {{ server.group }}
    - mode: "0400"
    - show_changes: false
    - require:
      - file: rabbitmq-server-{{ inst.name }}-directories-present

{#- With 'definitions' (containers) it holds the administrator's password. #}
rabbitmq-server-{{ inst.name }}-config-file-managed:
  file.managed:
    - name: {{ inst.conf_dir }}/rabbitmq.conf
    - source: salt://{{ tplroot }}/files/rabbitmq.conf.jinja
    - template: jinja
    - user: root
    - group: {{ server.group }}
    - mode: "0640"
    - show_changes: false
    - context:
        cfg: {{ inst | tojson }}
    - require:
      - file: rabbitmq-server-{{ inst.name }}-conf-dir-present
{%- if inst.definitions %}

rabbitmq-server-{{ inst.name }}-definitions-file-managed:
  file.managed:
    - name: {{ inst.conf_dir }}/definitions.json
    - source: salt://{{ tplroot }}/files/definitions.json.jinja
    - template: jinja
    - user: root
    - group: {{ server.group }}
    - mode: "0640"
    - show_changes: false
    - context:
        cfg: {{ dict(inst, vhosts=vhosts, policy_services=policy_services,
                     policy_options=server.policy_options,
                     admin_password_set=(server.admin.password != '')) | tojson }}
    - require:
      - file: rabbitmq-server-{{ inst.name }}-conf-dir-present
{%- endif %}

rabbitmq-server-{{ inst.name }}-env-file-managed:
  file.managed:
    - name: {{ inst.conf_dir }}/rabbitmq-env.conf
    - source: salt://{{ tplroot }}/files/rabbitmq-env.conf.jinja
    - template: jinja
    - user: root
    - group: {{ server.group }}
    - mode: "0640"
    - context:
        cfg: {{ inst | tojson }}
    - require:
      - file: rabbitmq-server-{{ inst.name }}-conf-dir-present

rabbitmq-server-{{ inst.name }}-plugins-file-managed:
  file.managed:
    - name: {{ inst.conf_dir }}/enabled_plugins
    - source: salt://{{ tplroot }}/files/enabled_plugins.jinja
    - template: jinja
    - user: root
    - group: {{ server.group }}
    - mode: "0640"
    - context:
        cfg: {{ inst | tojson }}
    - require:
      - file: rabbitmq-server-{{ inst.name }}-conf-dir-present
{%- endfor %}
