{%- from tpldir ~ "/map.jinja" import master with context %}
{%- if master.enabled %}

salt-master-config-file-managed:
  file.managed:
    - name: {{ master.config_file }}
    - source: salt://{{ tpldir }}/files/master.conf.jinja
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
