{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import common, master, pkidir, bindir, running with context %}
{%- if master.enabled %}
{%- set cfgdir = common.config_dir %}
{%- set le = master.leader_election %}
{%- set local_api = 'https://' ~ common.address ~ ':' ~ master.apiserver.secure_port %}
{%- set vip_api = 'https://' ~ common.apiserver.host ~ ':' ~ common.apiserver.port %}
{#- Controller-manager and scheduler talk to this master's apiserver; admin to the VIP. #}
{%- set kubeconfigs = {
  'controller-manager': {'user': 'system:kube-controller-manager', 'server': local_api},
  'scheduler': {'user': 'system:kube-scheduler', 'server': local_api},
  'admin': {'user': 'kubernetes-admin', 'server': vip_api},
} %}
{%- for name, kc in kubeconfigs | dictsort %}

kubernetes-master-{{ name }}-kubeconfig-managed:
  file.managed:
    - name: {{ cfgdir }}/{{ name }}.kubeconfig
    - source: salt://{{ tplroot }}/files/kubeconfig.jinja
    - template: jinja
    - mode: "0600"
    - makedirs: true
    - context:
        cfg:
          cluster: {{ common.cluster_name | json }}
          server: {{ kc.server | json }}
          ca: {{ pkidir }}/ca.crt
          user: {{ kc.user | json }}
          cert: {{ pkidir }}/{{ name }}.crt
          key: {{ pkidir }}/{{ name }}.key
{%- endfor %}

{%- set election = {'leader-elect': true, 'leader-elect-lease-duration': le.lease_duration,
                    'leader-elect-renew-deadline': le.renew_deadline,
                    'leader-elect-retry-period': le.retry_period} %}
{%- set units = {
  'kube-apiserver': {
    'description': 'Kubernetes API server',
    'args': {
      'advertise-address': common.address,
      'bind-address': common.address,
      'secure-port': master.apiserver.secure_port,
      'etcd-servers': master.etcd.servers,
      'service-cluster-ip-range': common.service_network,
      'allow-privileged': true,
      'authorization-mode': 'Node,RBAC',
      'enable-admission-plugins': 'NodeRestriction',
      'client-ca-file': pkidir ~ '/ca.crt',
      'tls-cert-file': pkidir ~ '/apiserver.crt',
      'tls-private-key-file': pkidir ~ '/apiserver.key',
      'kubelet-certificate-authority': pkidir ~ '/ca.crt',
      'kubelet-client-certificate': pkidir ~ '/apiserver-kubelet-client.crt',
      'kubelet-client-key': pkidir ~ '/apiserver-kubelet-client.key',
      'service-account-issuer': 'https://kubernetes.default.svc.' ~ common.cluster_domain,
      'service-account-key-file': pkidir ~ '/sa.pub',
      'service-account-signing-key-file': pkidir ~ '/sa.key',
      'max-requests-inflight': master.apiserver.max_requests_inflight,
      'max-mutating-requests-inflight': master.apiserver.max_mutating_requests_inflight,
    },
    'extra': master.apiserver.extra_args},
  'kube-controller-manager': {
    'description': 'Kubernetes controller manager',
    'args': {
      'kubeconfig': cfgdir ~ '/controller-manager.kubeconfig',
      'authentication-kubeconfig': cfgdir ~ '/controller-manager.kubeconfig',
      'authorization-kubeconfig': cfgdir ~ '/controller-manager.kubeconfig',
      'bind-address': '127.0.0.1',
      'cluster-cidr': common.pod_network,
      'service-cluster-ip-range': common.service_network,
      'root-ca-file': pkidir ~ '/ca.crt',
      'service-account-private-key-file': pkidir ~ '/sa.key',
      'use-service-account-credentials': true,
    },
    'extra': master.controller_manager.extra_args},
  'kube-scheduler': {
    'description': 'Kubernetes scheduler',
    'args': {
      'kubeconfig': cfgdir ~ '/scheduler.kubeconfig',
      'authentication-kubeconfig': cfgdir ~ '/scheduler.kubeconfig',
      'authorization-kubeconfig': cfgdir ~ '/scheduler.kubeconfig',
      'bind-address': '127.0.0.1',
    },
    'extra': master.scheduler.extra_args},
} %}
{%- do units['kube-controller-manager'].args.update(election) %}
{%- do units['kube-scheduler'].args.update(election) %}
{%- for name, u in units | dictsort %}

kubernetes-master-{{ name }}-unit-file-managed:
  file.managed:
    - name: /etc/systemd/system/{{ name }}.service
    - source: salt://{{ tplroot }}/files/kube.service.jinja
    - template: jinja
    - mode: "0644"
    - context:
        cfg:
          name: {{ name }}
          description: {{ u.description | json }}
          binary: {{ bindir }}/{{ name }}
{%-   do u.args.update(u.extra) %}
          args: {{ u.args | json }}

{%-   if running %}

kubernetes-master-{{ name }}-service-running:
  service.running:
    - name: {{ name }}
    - enable: true
    - watch:
      - file: kubernetes-master-{{ name }}-unit-file-managed
      - sls: {{ tplroot }}.master.pki
{%-   else %}

kubernetes-master-{{ name }}-service-enabled:
  service.enabled:
    - name: {{ name }}
    - require:
      - file: kubernetes-master-{{ name }}-unit-file-managed
{%-   endif %}
{%- endfor %}
{%- endif %}
