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
        kubelet: 0000000000000000000000000000000000000000000000000000000000000001
        kube-proxy: 0000000000000000000000000000000000000000000000000000000000000002
    calico:
      etcd_endpoints: [https://10.0.0.11:12379]
  pool:
    enabled: true
    labels:
      openstack-compute-node: enabled
      openvswitch: enabled
