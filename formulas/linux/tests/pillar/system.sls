linux:
  system:
    enabled: true
    name: node01
    domain: test.local
    packages: [less]
    kernel:
      sysctl:
        net.ipv4.ip_forward: 1
  network:
    host:
      node01:
        address: 10.0.0.11
        names: [node01, node01.test.local]
