{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import server with context %}

include:
  - {{ tplroot }}.server.install

galera-server-config-file-managed:
  file.managed:
    - name: {{ server.config_file }}
    - source: salt://{{ tplroot }}/files/galera.cnf.jinja
    - template: jinja
    - mode: "0644"
    - context:
        cfg: {{ server | json }}
    - require:
      - pkg: galera-server-packages-installed

{#- Holds the administrator account's password: root only, and its changes never shown. #}
galera-server-agent-config-file-managed:
  file.managed:
    - name: {{ server.agent_config_file }}
    - source: salt://{{ tplroot }}/files/agent.yaml.jinja
    - template: jinja
    - makedirs: true
    - mode: "0600"
    - show_changes: false
    - context:
        cfg: {{ server | json }}

galera-server-agent-unit-file-managed:
  file.managed:
    - name: /etc/systemd/system/{{ server.agent_service }}.service
    - source: salt://{{ tplroot }}/files/agent.service.jinja
    - template: jinja
    - mode: "0644"
    - context:
        cfg: {{ server | json }}
