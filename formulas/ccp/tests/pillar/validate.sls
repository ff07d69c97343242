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
    configs:
      memcached:
        port: {cont: 11211}
    definitions:
      memcached:
        dsl_version: 1.1.0
        service:
          name: memcached
          antiAffinity: local
          ports: [memcached.port]
          containers:
            - name: memcached
              image: memcached
              daemon:
                command: memcached -u memcache
