nova:
  controller:
    enabled: true
    bind:
      address: 0.0.0.0
      port: 8774
    processes: 2
    scheduler:
      workers: 1
      discover_hosts_in_cells_interval: 60
    conductor:
      workers: 1
    api_database:
      host: 10.0.0.10
      password: nova-db-test-password
    database:
      host: 10.0.0.10
      password: nova-db-test-password
    message_queue:
      members:
        - {host: 10.0.0.11, port: 5672}
        - {host: 10.0.0.12, port: 5672}
      password: nova-mq-test-password
    identity:
      auth_url: http://10.0.0.10:5000/v3
      password: nova-keystone-test-password
    cache:
      members:
        - {host: 10.0.0.11, port: 11211}
    placement:
      url: http://10.0.0.10:8778
    glance:
      url: http://10.0.0.10:9292
    neutron:
      url: http://10.0.0.10:9696
