neutron:
  server:
    enabled: true
    bind:
      address: 0.0.0.0
      port: 9696
    api_workers: 1
    rpc_workers: 1
    database:
      host: 10.0.0.10
      password: neutron-db-test-password
    message_queue:
      members:
        - {host: 10.0.0.11, port: 5672}
      password: neutron-mq-test-password
    identity:
      auth_url: http://10.0.0.10:5000/v3
      password: neutron-keystone-test-password
    cache:
      members:
        - {host: 10.0.0.11, port: 11211}
    ml2:
      flat_networks: [external]
      network_vlan_ranges: ["physnet1:100:3999"]
