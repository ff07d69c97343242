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
    definitions:
      memcached:
        dsl_version: 1.0.0
        service:
          name: memcached
          ports: ["11211"]
          containers:
            - name: memcached
              image: memcached
              daemon:
                command: memcached -u memcache
