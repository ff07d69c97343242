etcd:
  server:
    enabled: true
    name: node01
    token: test-token-0123456789abcdef
    bind:
      host: 10.0.0.11
    members:
      - {name: node01, host: 10.0.0.11}
      - {name: node02, host: 10.0.0.12}
      - {name: node03, host: 10.0.0.13}
