neutron:
  agent:
    enabled: true
    host: fake-1
    message_queue:
      members:
        - {host: 10.0.0.11, port: 5672}
      password: neutron-mq-test-password
    physical_interface_mappings:
      physnet1: vphys1
      external: vext1
    veth_pairs:
      vphys1: vphys1-peer
      vext1: vext1-peer
