{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import compute with context %}

include:
  - {{ tplroot }}.compute.install

{#- nova-compute.conf holds the RabbitMQ and keystone passwords: root and group nova only,
    and no diff in the state's return. #}
nova-compute-config-file-managed:
  file.managed:
    - name: {{ compute.config_file }}
    - source: salt://{{ tplroot }}/files/nova-compute.conf.jinja
    - template: jinja
    - user: root
    - group: {{ compute.group }}
    - mode: "0640"
    - show_changes: false
    - context:
        cfg: {{ compute | json }}
    - require:
      - sls: {{ tplroot }}.compute.install

nova-compute-launcher-managed:
  file.managed:
    - name: {{ compute.launcher }}
    - source: salt://{{ tplroot }}/files/nova-compute.py.jinja
    - template: jinja
    - mode: "0755"
    - context:
        cfg: {{ compute | json }}
    - require:
      - sls: {{ tplroot }}.compute.install

nova-compute-directories-present:
  file.directory:
    - names:
      - {{ compute.instances_path }}
      - {{ compute.lock_path }}
    - user: {{ compute.user }}
    - group: {{ compute.group }}
    - mode: "0750"
    - makedirs: true
    - require:
      - sls: {{ tplroot }}.compute.install
