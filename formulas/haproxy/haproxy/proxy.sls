{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import proxy with context %}
{%- if proxy.enabled %}

haproxy-proxy-packages-installed:
  pkg.installed:
    - pkgs: {{ proxy.pkgs | yaml }}

{#- check_cmd validates the rendered file with haproxy itself before it replaces the old one. #}
haproxy-proxy-config-file-managed:
  file.managed:
    - name: {{ proxy.config_file }}
    - source: salt://{{ tplroot }}/files/haproxy.cfg.jinja
    - template: jinja
    - mode: "0644"
    - check_cmd: /usr/sbin/haproxy -c -q -f
    - context:
        cfg: {{ proxy | json }}
    - require:
      - pkg: haproxy-proxy-packages-installed

{#- Image builds and container entrypoints set grain noservices: the config is rendered,
    the daemon is started by the container runtime instead. #}
{%- if not grains.get('noservices', False) %}
haproxy-proxy-service-running:
  service.running:
    - name: {{ proxy.service }}
    - enable: true
    - reload: true
    - watch:
      - file: haproxy-proxy-config-file-managed
{%- endif %}

{%- endif %}
