{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import master with context %}
{%- if master.enabled %}

salt-master-config-file-managed:
  file.managed:
    - name: {{ master.config_file }}
    - source: salt://{{ tplroot }}/files/master.conf.jinja
    - template: jinja
    - mode: "0640"
    - makedirs: true
    - context:
        cfg: {{ master | json }}

salt-master-service-running:
  service.running:
    - name: salt-master
    - enable: true
    - watch:
      - file: salt-master-config-file-managed

{%- endif %}
