{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import instances with context %}

include:
  - {{ tplroot }}.server.config

{#- In an image build (grain noservices) nothing starts: the entrypoint runs the daemon. #}
{%- if not grains.get('noservices', False) %}
{%- for inst in instances %}

{#- A member forgotten by the running cluster (scale down, then back up) cannot boot on its
    old data: set it aside first (renamed, never deleted). #}
rabbitmq-server-{{ inst.name }}-data-consistent:
  rabbitmq_cluster.data_consistent:
    - name: {{ inst.node }}
    - members: {{ inst.members | yaml }}
    - mnesia_dir: {{ inst.mnesia_base }}/{{ inst.node }}
    - service: {{ inst.service }}
    - env: {{ dict(HOME=inst.data_dir) | json }}
    - require:
      - sls: {{ tplroot }}.server.config

rabbitmq-server-{{ inst.name }}-service-running:
  service.running:
    - name: {{ inst.service }}
    - enable: true
    - require:
      - sls: {{ tplroot }}.server.config
      - service: rabbitmq-server-default-service-dead
      - rabbitmq_cluster: rabbitmq-server-{{ inst.name }}-data-consistent
    - watch:
      - file: rabbitmq-server-unit-template-managed
      - file: rabbitmq-server-{{ inst.name }}-cookie-managed
      - file: rabbitmq-server-{{ inst.name }}-config-file-managed
      - file: rabbitmq-server-{{ inst.name }}-env-file-managed
      - file: rabbitmq-server-{{ inst.name }}-plugins-file-managed
{%- endfor %}
{%- endif %}
