{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import server with context %}
{%- if server.enabled %}

memcached-server-packages-installed:
  pkg.installed:
    - pkgs: {{ server.pkgs | yaml }}

memcached-server-config-file-managed:
  file.managed:
    - name: {{ server.config_file }}
    - source: salt://{{ tplroot }}/files/memcached.conf.jinja
    - template: jinja
    - mode: "0644"
    - context:
        cfg: {{ server | json }}
    - require:
      - pkg: memcached-server-packages-installed

{#- Image builds and container entrypoints set grain noservices: the config is rendered,
    the daemon is started by the container runtime instead. #}
{%- if not grains.get('noservices', False) %}
memcached-server-service-running:
  service.running:
    - name: {{ server.service }}
    - enable: true
    - watch:
      - file: memcached-server-config-file-managed
{%- endif %}

{%- endif %}
