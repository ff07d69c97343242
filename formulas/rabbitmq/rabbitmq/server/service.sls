{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import instances with context %}

include:
  - {{ tplroot }}.server.config

{#- In an image build (grain noservices) nothing starts: the entrypoint runs the daemon. #}
{%- if not grains.get('noservices', False) %}
{%- for inst in instances %}

rabbitmq-server-{{ inst.name }}-service-running:
  service.running:
    - name: {{ inst.service }}
    - enable: true
    - require:
      - sls: {{ tplroot }}.server.config
      - service: rabbitmq-server-default-service-dead
    - watch:
      - file: rabbitmq-server-unit-template-managed
      - file: rabbitmq-server-{{ inst.name }}-cookie-managed
      - file: rabbitmq-server-{{ inst.name }}-config-file-managed
      - file: rabbitmq-server-{{ inst.name }}-env-file-managed
      - file: rabbitmq-server-{{ inst.name }}-plugins-file-managed
{%- endfor %}
{%- endif %}
