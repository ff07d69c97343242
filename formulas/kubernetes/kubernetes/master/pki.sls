{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import common, master, pkidir with context %}
{%- if master.enabled %}
{%- set d = common.cluster_domain %}
{#- The apiserver is reached by the VIP, by this master's own address and names, and in the
    cluster as the "kubernetes" Service (first address of the service network). #}
{%- set certs = {
  'apiserver': {'cn': 'kube-apiserver', 'o': [], 'usages': ['server'],
                'dns': ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc',
                        'kubernetes.default.svc.' ~ d, 'localhost',
                        common.hostname, common.fqdn],
                'ips': [master.vip.address, common.address, '127.0.0.1'],
                'service_network': common.service_network},
  'apiserver-kubelet-client': {'cn': 'kube-apiserver-kubelet-client',
                               'o': ['system:masters'], 'usages': ['client']},
  'controller-manager': {'cn': 'system:kube-controller-manager', 'o': [], 'usages': ['client']},
  'scheduler': {'cn': 'system:kube-scheduler', 'o': [], 'usages': ['client']},
  'admin': {'cn': 'kubernetes-admin', 'o': ['system:masters'], 'usages': ['client']},
} %}
{%- if master.calico_etcd.enabled %}
{#- Calico's etcd: one certificate per member for clients and peers, readable by etcd only. #}
{%-   do certs.update({'etcd-calico': {
        'cn': 'etcd-calico-' ~ common.hostname, 'o': [], 'usages': ['server', 'client'],
        'dns': [common.hostname, common.fqdn, 'localhost'],
        'ips': [common.address, '127.0.0.1'], 'user': 'etcd', 'group': 'etcd'} }) %}
{%- endif %}
{%- for name, c in certs | dictsort %}

kubernetes-master-{{ name }}-certificate-issued:
  kubernetes_pki.certificate_issued:
    - name: {{ pkidir }}/{{ name }}.crt
    - key: {{ pkidir }}/{{ name }}.key
    - common_name: {{ c.cn | json }}
    - organizations: {{ c.o | json }}
    - dns_names: {{ c.get('dns', []) | json }}
    - ip_addresses: {{ c.get('ips', []) | json }}
    - service_network: {{ c.get('service_network') | json }}
    - usages: {{ c.usages | json }}
    - validity_days: {{ common.pki.validity_days }}
    - renew_days: {{ common.pki.renew_days }}
    - ca_pillar: {{ common.pki.ca_pillar }}
    - user: {{ c.get('user', 'root') }}
    - group: {{ c.get('group', 'root') }}
    - require:
      - kubernetes_pki: kubernetes-common-ca-certificate-installed
{%-   if c.get('user') == 'etcd' %}
      - pkg: kubernetes-master-packages-installed
{%-   endif %}
{%- endfor %}

{#- The service-account signing key must be the same on every master: it comes from the
    pillar (generated once on the salt master), never from a state argument. #}
kubernetes-master-service-account-key-installed:
  kubernetes_pki.private_key_installed:
    - name: {{ pkidir }}/sa.key
    - pillar_key: {{ master.service_account_key_pillar }}
    - public_key: {{ pkidir }}/sa.pub
    - require:
      - file: kubernetes-common-pki-dir-present
{%- endif %}
