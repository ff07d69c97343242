ccp:
  control:
    enabled: true
    kubernetes:
      namespace: openstack-test
      nodes: [node1, node2]
    nodes:
      node[12]$:
        roles: [controller]
    roles:
      controller: [memcached]
    replicas:
      memcached: 2
