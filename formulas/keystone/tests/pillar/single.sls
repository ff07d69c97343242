keystone:
  server:
    enabled: true
    bind:
      address: 10.0.0.11
      port: 5000
    public_url: http://10.0.0.10:5000/v3
    database:
      host: 10.0.0.11
      port: 13306
      password: keystone-db-test-password
    cache:
      members:
        - {host: 10.0.0.11, port: 11211}
        - {host: 10.0.0.12, port: 11211}
    admin:
      password: admin-test-password
