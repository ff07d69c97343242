# A compute node with binaries provided by the operator (source directory and hashes).
kubernetes:
  common:
    enabled: true
    cluster_name: test
    hostname: cmp01
    fqdn: cmp01.test.local
    address: 10.0.0.21
    apiserver: {host: 10.0.0.100, port: 443}
    binaries:
      present: true
      source: salt://k8s-binaries/v1.30.4
      hashes:
        kubelet: "9b1a5e6fd2b1a0e8d0d3f2c4a7b6e5d4c3b2a1908f7e6d5c4b3a291807f6e5d4"
        kube-proxy: "0c4f1e2d3b4a5968778695a4b3c2d1e0f9e8d7c6b5a493827160f5e4d3c2b1a0"
    calico:
      etcd_endpoints: [https://10.0.0.11:12379]
  pool:
    enabled: true
    labels:
      openstack-compute-node: enabled
      openvswitch: enabled
