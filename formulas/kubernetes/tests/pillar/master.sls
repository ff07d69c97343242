# A master that is also a node (kubelet, kube-proxy). No CA here: the states read it from
# the pillar only when they run (fixtures generate their own).
kubernetes:
  common:
    enabled: true
    cluster_name: test
    hostname: ctl01
    fqdn: ctl01.test.local
    address: 10.0.0.11
    apiserver: {host: 10.0.0.100, port: 443}
    calico:
      etcd_endpoints:
        - https://10.0.0.11:12379
        - https://10.0.0.12:12379
        - https://10.0.0.13:12379
  master:
    enabled: true
    members:
      - {name: ctl01, host: 10.0.0.11}
      - {name: ctl02, host: 10.0.0.12}
      - {name: ctl03, host: 10.0.0.13}
    etcd:
      servers:
        - http://10.0.0.11:2379
        - http://10.0.0.12:2379
        - http://10.0.0.13:2379
    vip: {address: 10.0.0.100, network: 10.0.0.0/24}
    calico_etcd:
      token: calico-test-token-0123456789
      members:
        - {name: ctl01, host: 10.0.0.11}
        - {name: ctl02, host: 10.0.0.12}
        - {name: ctl03, host: 10.0.0.13}
  pool:
    enabled: true
    labels:
      openstack-control-plane: enabled
      openstack-gateway: enabled
      openvswitch: enabled
