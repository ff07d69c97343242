{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import common, pool, pkidir with context %}
{%- if pool.enabled %}
{#- Every node's client certificates and the kubelet's serving certificate. #}
{%- set certs = {
  'kubelet-client': {'cn': 'system:node:' ~ common.hostname, 'o': ['system:nodes'],
                     'usages': ['client']},
  'kubelet': {'cn': 'system:node:' ~ common.hostname, 'o': ['system:nodes'],
              'dns': [common.hostname, common.fqdn], 'ips': [common.address],
              'usages': ['server']},
  'kube-proxy': {'cn': 'system:kube-proxy', 'o': [], 'usages': ['client']},
  'calico-etcd-client': {'cn': 'calico', 'o': [], 'usages': ['client']},
} %}
{%- for name, c in certs | dictsort %}

kubernetes-pool-{{ name }}-certificate-issued:
  kubernetes_pki.certificate_issued:
    - name: {{ pkidir }}/{{ name }}.crt
    - key: {{ pkidir }}/{{ name }}.key
    - common_name: {{ c.cn | json }}
    - organizations: {{ c.o | json }}
    - dns_names: {{ c.get('dns', []) | json }}
    - ip_addresses: {{ c.get('ips', []) | json }}
    - usages: {{ c.usages | json }}
    - validity_days: {{ common.pki.validity_days }}
    - renew_days: {{ common.pki.renew_days }}
    - ca_pillar: {{ common.pki.ca_pillar }}
    - require:
      - kubernetes_pki: kubernetes-common-ca-certificate-installed
{%- endfor %}
{%- endif %}
