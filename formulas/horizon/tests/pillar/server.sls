horizon:
  server:
    enabled: true
    bind:
      address: 0.0.0.0
      port: 8080
    allowed_hosts: [dashboard.example.test, 10.0.0.10]
    secret_key: horizon-test-secret-key
    keystone:
      url: http://10.0.0.10:5000/v3
    cache:
      members:
        - {host: 10.0.0.11, port: 11211}
        - {host: 10.0.0.12, port: 11211}
