{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import agent with context %}

include:
  - {{ tplroot }}.agent.config
  - {{ tplroot }}.agent.interfaces

{#- In an image (grain noservices) nothing starts: the entrypoint execs the agent. #}
{%- if not grains.get('noservices', False) %}

neutron-agent-service-running:
  service.running:
    - name: {{ agent.service }}
    - enable: true
    - require:
      - sls: {{ tplroot }}.agent.interfaces
    - watch:
      - file: neutron-agent-linuxbridge-config-file-managed
{%- endif %}
