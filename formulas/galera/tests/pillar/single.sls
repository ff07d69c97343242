galera:
  server:
    enabled: true
    cluster_name: lab
    name: node01
    bind:
      address: 10.0.0.11
    members:
      - {name: node01, address: 10.0.0.11}
    cluster_size: 1
    etcd:
      endpoints: [http://10.0.0.11:2379]
