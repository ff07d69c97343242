{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import common, pool, pkidir, bindir, running with context %}
{%- if pool.enabled %}
{%- set cfgdir = common.config_dir %}
{#- Seed 000: one API address for the kubelet (it uses only the first of several): the VIP. #}
{%- set server = 'https://' ~ common.apiserver.host ~ ':' ~ common.apiserver.port %}
{%- set kubeconfigs = {
  'kubelet': {'user': 'system:node:' ~ common.hostname, 'cert': 'kubelet-client'},
  'kube-proxy': {'user': 'system:kube-proxy', 'cert': 'kube-proxy'},
} %}
{%- for name, kc in kubeconfigs | dictsort %}

kubernetes-pool-{{ name }}-kubeconfig-managed:
  file.managed:
    - name: {{ cfgdir }}/{{ name }}.kubeconfig
    - source: salt://{{ tplroot }}/files/kubeconfig.jinja
    - template: jinja
    - mode: "0600"
    - makedirs: true
    - context:
        cfg:
          cluster: {{ common.cluster_name | json }}
          server: {{ server | json }}
          ca: {{ pkidir }}/ca.crt
          user: {{ kc.user | json }}
          cert: {{ pkidir }}/{{ kc.cert }}.crt
          key: {{ pkidir }}/{{ kc.cert }}.key
{%- endfor %}

{%- set kubelet_config = {
  'apiVersion': 'kubelet.config.k8s.io/v1beta1',
  'kind': 'KubeletConfiguration',
  'authentication': {'anonymous': {'enabled': False}, 'webhook': {'enabled': True},
                     'x509': {'clientCAFile': pkidir ~ '/ca.crt'} },
  'authorization': {'mode': 'Webhook'},
  'cgroupDriver': 'systemd',
  'clusterDNS': [common.cluster_dns],
  'clusterDomain': common.cluster_domain,
  'maxPods': pool.kubelet.max_pods,
  'tlsCertFile': pkidir ~ '/kubelet.crt',
  'tlsPrivateKeyFile': pkidir ~ '/kubelet.key',
  'staticPodPath': cfgdir ~ '/manifests',
} %}
{%- set proxy_config = {
  'apiVersion': 'kubeproxy.config.k8s.io/v1alpha1',
  'kind': 'KubeProxyConfiguration',
  'clientConnection': {'kubeconfig': cfgdir ~ '/kube-proxy.kubeconfig'},
  'clusterCIDR': common.pod_network,
  'mode': pool.kube_proxy.mode,
  'hostnameOverride': common.hostname,
} %}
{%- set configs = {
  'kubelet': {'path': '/var/lib/kubelet/config.yaml', 'doc': kubelet_config},
  'kube-proxy': {'path': '/var/lib/kube-proxy/config.yaml', 'doc': proxy_config},
} %}
{%- set units = {
  'kubelet': {
    'description': 'Kubernetes node agent (kubelet)',
    'args': {'config': configs.kubelet.path,
             'kubeconfig': cfgdir ~ '/kubelet.kubeconfig',
             'hostname-override': common.hostname,
             'node-ip': common.address,
             'node-labels': pool.labels,
             'container-runtime-endpoint': pool.kubelet.container_runtime_endpoint},
    'extra': pool.kubelet.extra_args},
  'kube-proxy': {
    'description': 'Kubernetes network proxy (kube-proxy)',
    'args': {'config': configs['kube-proxy'].path},
    'extra': pool.kube_proxy.extra_args},
} %}
{%- for name, c in configs | dictsort %}

kubernetes-pool-{{ name }}-config-file-managed:
  file.managed:
    - name: {{ c.path }}
    - source: salt://{{ tplroot }}/files/config.yaml.jinja
    - template: jinja
    - mode: "0644"
    - makedirs: true
    - context:
        cfg:
          doc: {{ c.doc | json }}
{%- endfor %}

kubernetes-pool-manifests-dir-present:
  file.directory:
    - name: {{ cfgdir }}/manifests
    - mode: "0755"
    - makedirs: true

{#- The Calico CNI plugin talks to Calico's own etcd (not Kubernetes'), with a client
    certificate, listing every member (HA on the client side). #}
kubernetes-pool-calico-cni-config-file-managed:
  file.managed:
    - name: {{ common.calico.cni_conf_dir }}/10-calico.conflist
    - source: salt://{{ tplroot }}/files/calico.conflist.jinja
    - template: jinja
    - mode: "0644"
    - makedirs: true
    - context:
        cfg:
          name: {{ common.cluster_name | json }}
          endpoints: {{ common.calico.etcd_endpoints | json }}
          pkidir: {{ pkidir }}
          kubeconfig: {{ cfgdir }}/kubelet.kubeconfig
{%- for name, u in units | dictsort %}

kubernetes-pool-{{ name }}-unit-file-managed:
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

kubernetes-pool-{{ name }}-service-running:
  service.running:
    - name: {{ name }}
    - enable: true
    - watch:
      - file: kubernetes-pool-{{ name }}-unit-file-managed
      - file: kubernetes-pool-{{ name }}-config-file-managed
      - file: kubernetes-pool-{{ name }}-kubeconfig-managed
      - sls: {{ tplroot }}.pool.pki
{%-   else %}

kubernetes-pool-{{ name }}-service-enabled:
  service.enabled:
    - name: {{ name }}
    - require:
      - file: kubernetes-pool-{{ name }}-unit-file-managed
{%-   endif %}
{%- endfor %}
{%- endif %}
