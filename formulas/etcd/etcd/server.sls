{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import server with context %}
{%- if server.enabled %}

etcd-server-packages-installed:
  pkg.installed:
    - pkgs: {{ server.pkgs | yaml }}

etcd-server-config-file-managed:
  file.managed:
    - name: {{ server.config_file }}
    - source: salt://{{ tplroot }}/files/etcd.default.jinja
    - template: jinja
    - mode: "0644"
    - context:
        cfg: {{ server | json }}
    - require:
      - pkg: etcd-server-packages-installed

{%- if not grains.get('noservices', False) %}
etcd-server-service-running:
  service.running:
    - name: {{ server.service }}
    - enable: true
    - watch:
      - file: etcd-server-config-file-managed

{#- Looks first and changes nothing: waits until every member of the model is healthy. #}
etcd-server-cluster-healthy:
  etcd_cluster.healthy:
    - members: {{ server.members | map(attribute='name') | list | yaml }}
    - endpoints: {{ server.members
                    | map(attribute='host')
                    | map('regex_replace', '^(.*)$', 'http://\\1:' ~ server.client_port)
                    | list | yaml }}
    - timeout: {{ server.health_timeout }}
    - require:
      - service: etcd-server-service-running
{%- endif %}

{%- endif %}
