{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import common, master, pkidir with context %}
{%- if master.enabled %}

kubernetes-master-packages-installed:
  pkg.installed:
    - pkgs: {{ master.pkgs | yaml }}

{%- set etcd = master.calico_etcd %}
{%- if etcd.enabled %}
{#- Seed 000: Calico gets an etcd of its own (not Kubernetes' etcd, not Calico's built-in
    one): a second instance on distinct ports, data dir and unit, with TLS for clients and
    peers. #}

kubernetes-master-calico-etcd-data-dir-present:
  file.directory:
    - name: {{ etcd.data_dir }}
    - user: etcd
    - group: etcd
    - mode: "0700"
    - require:
      - pkg: kubernetes-master-packages-installed

kubernetes-master-calico-etcd-config-file-managed:
  file.managed:
    - name: {{ etcd.config_file }}
    - source: salt://{{ tplroot }}/files/etcd-calico.default.jinja
    - template: jinja
    - mode: "0644"
    - context:
        cfg:
          name: {{ common.hostname | json }}
          address: {{ common.address | json }}
          token: {{ etcd.token | json }}
          data_dir: {{ etcd.data_dir | json }}
          client_port: {{ etcd.client_port }}
          peer_port: {{ etcd.peer_port }}
          members: {{ etcd.members | json }}
          pkidir: {{ pkidir }}

kubernetes-master-calico-etcd-unit-file-managed:
  file.managed:
    - name: /etc/systemd/system/{{ etcd.service }}.service
    - source: salt://{{ tplroot }}/files/etcd-calico.service.jinja
    - template: jinja
    - mode: "0644"
    - context:
        cfg:
          config_file: {{ etcd.config_file }}

{%-   if not grains.get('noservices', False) %}

kubernetes-master-calico-etcd-service-running:
  service.running:
    - name: {{ etcd.service }}
    - enable: true
    - watch:
      - file: kubernetes-master-calico-etcd-config-file-managed
      - file: kubernetes-master-calico-etcd-unit-file-managed
      - kubernetes_pki: kubernetes-master-etcd-calico-certificate-issued
    - require:
      - file: kubernetes-master-calico-etcd-data-dir-present
{%-   endif %}
{%- endif %}
{%- endif %}
