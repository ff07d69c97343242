glance:
  server:
    enabled: true
    bind:
      address: 0.0.0.0
      port: 9292
    workers: 1
    database:
      host: 10.0.0.10
      port: 13306
      password: glance-db-test/password@
    message_queue:
      members:
        - {host: 10.0.0.11, port: 5672}
        - {host: 10.0.0.12, port: 5672}
        - {host: 10.0.0.13, port: 5672}
      password: glance-mq-test-password
    identity:
      auth_url: http://10.0.0.10:5000/v3
      password: glance-keystone-test-password
    cache:
      members:
        - {host: 10.0.0.11, port: 11211}
        - {host: 10.0.0.12, port: 11211}
