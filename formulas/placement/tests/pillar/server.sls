placement:
  server:
    enabled: true
    bind:
      address: 0.0.0.0
      port: 8778
    processes: 2
    threads: 1
    database:
      host: 10.0.0.10
      port: 13306
      password: placement-db-test-password
    identity:
      auth_url: http://10.0.0.10:5000/v3
      password: placement-keystone-test-password
    cache:
      members:
        - {host: 10.0.0.11, port: 11211}
