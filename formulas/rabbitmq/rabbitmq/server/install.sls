{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import server with context %}

include:
  - {{ tplroot }}.server.validate

rabbitmq-server-packages-installed:
  pkg.installed:
    - pkgs: {{ server.pkgs | yaml }}
    - reload_modules: true
    - require:
      - sls: {{ tplroot }}.server.validate

{%- if not grains.get('noservices', False) %}

{#- Every node runs as an instance (rabbitmq-server@<name>); Debian's own unit would take
    port 5672 with the package's cookie. #}
rabbitmq-server-default-service-dead:
  service.dead:
    - name: {{ server.default_service }}
    - enable: false
    - require:
      - pkg: rabbitmq-server-packages-installed
{%- endif %}
