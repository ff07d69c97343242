galera:
  server:
    enabled: true
    cluster_name: test
    name: node01
    bind:
      address: 10.0.0.11
    members:
      - {name: node01, address: 10.0.0.11}
      - {name: node02, address: 10.0.0.12}
      - {name: node03, address: 10.0.0.13}
    etcd:
      endpoints: [http://10.0.0.11:2379, http://10.0.0.12:2379]
    force_bootstrap: node02
    sst_method: rsync
    provider_options:
      evs.suspect_timeout: PT5S
    databases:
      keystone:
        user: keystone
        password: not-a-real-secret
