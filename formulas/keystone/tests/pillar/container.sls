# The container role with the run-time bootstrap request, as the first replica gets it.
keystone:
  server:
    enabled: true
    bind:
      address: 0.0.0.0
      port: 5000
    public_url: http://10.0.0.11:5000/v3
    database:
      host: 127.0.0.1
      port: 13306
      password: keystone-db-test-password
      create: true
    cache:
      members:
        - {host: 10.0.0.11, port: 11211}
    fernet:
      key_repository: /var/lib/keystone/fernet-keys
    credential:
      key_repository: /var/lib/keystone/credential-keys
    admin:
      password: admin-test-password
    bootstrap:
      enabled: true
