{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import common, master with context %}
{%- if master.enabled %}
{%- set lb = master.loadbalancer %}
{#- Seed 000: keepalived for the VIP and HAProxy for the API, nothing heavier. HAProxy runs
    as a unit of its own: Debian's haproxy.service is masked on controllers, where the
    Galera agent runs its own HAProxy. #}

kubernetes-master-lb-config-file-managed:
  file.managed:
    - name: {{ lb.config_file }}
    - source: salt://{{ tplroot }}/files/haproxy.cfg.jinja
    - template: jinja
    - mode: "0644"
    - makedirs: true
    - check_cmd: /usr/sbin/haproxy -c -q -f
    - context:
        cfg:
          port: {{ lb.port }}
          maxconn: {{ lb.maxconn }}
          timeout: {{ lb.timeout | json }}
          service: {{ lb.service }}
          members: {{ master.members | json }}
          apiserver_port: {{ master.apiserver.secure_port }}
    - require:
      - pkg: kubernetes-master-packages-installed

kubernetes-master-lb-unit-file-managed:
  file.managed:
    - name: /etc/systemd/system/{{ lb.service }}.service
    - source: salt://{{ tplroot }}/files/haproxy.service.jinja
    - template: jinja
    - mode: "0644"
    - context:
        cfg:
          service: {{ lb.service }}
          config_file: {{ lb.config_file }}

{%- set me = master.members | selectattr('host', 'equalto', common.address) | list %}
{%- set index = master.members.index(me[0]) if me else 0 %}
kubernetes-master-keepalived-config-file-managed:
  file.managed:
    - name: /etc/keepalived/keepalived.conf
    - source: salt://{{ tplroot }}/files/keepalived.conf.jinja
    - template: jinja
    - mode: "0644"
    - makedirs: true
    - context:
        cfg:
          hostname: {{ common.hostname | json }}
          address: {{ common.address | json }}
          vip: {{ master.vip | json }}
          priority: {{ 150 - index }}
          peers: {{ master.members | map(attribute='host') | reject('equalto', common.address)
                    | list | json }}
          lb_service: {{ lb.service }}
    - require:
      - pkg: kubernetes-master-packages-installed

{%- if not grains.get('noservices', False) %}

kubernetes-master-lb-service-running:
  service.running:
    - name: {{ lb.service }}
    - enable: true
    - reload: true
    - watch:
      - file: kubernetes-master-lb-config-file-managed
      - file: kubernetes-master-lb-unit-file-managed

kubernetes-master-keepalived-service-running:
  service.running:
    - name: keepalived
    - enable: true
    - reload: true
    - watch:
      - file: kubernetes-master-keepalived-config-file-managed
    - require:
      - service: kubernetes-master-lb-service-running
{%- endif %}
{%- endif %}
