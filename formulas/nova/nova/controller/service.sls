{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import controller with context %}

include:
  - {{ tplroot }}.controller.config

{#- In an image (grain noservices) nothing starts: each container execs one daemon. #}
{%- if not grains.get('noservices', False) %}
{%- for service in controller.services %}

nova-controller-{{ service }}-service-running:
  service.running:
    - name: {{ service }}
    - enable: true
    - watch:
      - file: nova-controller-config-file-managed
      - file: nova-controller-uwsgi-config-file-managed
{%- endfor %}
{%- endif %}
