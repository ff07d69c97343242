memcached:
  server:
    enabled: true
    bind:
      address: 10.0.0.11
      port: 11211
    memory: 128
    maxconn: 2048
