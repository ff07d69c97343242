{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import agent with context %}

include:
  - {{ tplroot }}.agent.install

{#- linuxbridge_agent.ini holds the RabbitMQ password: root and group neutron only, and no
    diff in the state's return. #}
neutron-agent-linuxbridge-config-file-managed:
  file.managed:
    - name: {{ agent.agent_config_file }}
    - source: salt://{{ tplroot }}/files/linuxbridge_agent.ini.jinja
    - template: jinja
    - user: root
    - group: {{ agent.group }}
    - mode: "0640"
    - makedirs: true
    - show_changes: false
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
