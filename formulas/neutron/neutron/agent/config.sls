{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import agent with context %}

include:
  - {{ tplroot }}.agent.install

{#- neutron.conf holds the RabbitMQ password: root and group neutron only, and no diff in
    the state's return. #}
neutron-agent-config-file-managed:
  file.managed:
    - name: {{ agent.config_file }}
    - source: salt://{{ tplroot }}/files/neutron-agent.conf.jinja
    - template: jinja
    - user: root
    - group: {{ agent.group }}
    - mode: "0640"
    - show_changes: false
    - context:
        cfg: {{ agent | json }}
    - require:
      - sls: {{ tplroot }}.agent.install

neutron-agent-linuxbridge-config-file-managed:
  file.managed:
    - name: {{ agent.agent_config_file }}
    - source: salt://{{ tplroot }}/files/linuxbridge_agent.ini.jinja
    - template: jinja
    - user: root
    - group: {{ agent.group }}
    - mode: "0644"
    - makedirs: true
    - context:
        cfg: {{ agent | json }}
    - require:
      - sls: {{ tplroot }}.agent.install

neutron-agent-lock-directory-present:
  file.directory:
    - name: {{ agent.lock_path }}
    - user: {{ agent.user }}
    - group: {{ agent.group }}
    - mode: "0750"
    - makedirs: true
    - require:
      - sls: {{ tplroot }}.agent.install
