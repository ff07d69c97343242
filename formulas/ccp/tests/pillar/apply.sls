ccp:
  control:
    enabled: true
    kubeconfig: /etc/kubernetes/admin.conf
    prune: false
    timeout: 300
    kubernetes:
      namespace: openstack-test
      nodes: [node1]
    nodes:
      node1$:
        roles: [cache]
    roles:
      cache: [memcached]
