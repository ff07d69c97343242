rabbitmq:
  server:
    enabled: true
    hostname: ctl02
    bind:
      address: 10.0.0.12
    policy_options:
      notifications_queue_type: quorum
      rpc_message_ttl_ms: 300000
    services:
      keystone: {enabled: true, password: keystone-test-password}
      glance: {enabled: true, password: glance-test-password}
      nova: {enabled: true, password: nova-test-password}
      neutron: {enabled: true, password: neutron-test-password}
    instances:
      main:
        cluster_name: openstack
        members:
          - rabbit@ctl01
          - rabbit@ctl02
          - rabbit@ctl03
        port: 5672
        dist_port: 25672
        cookie: TESTCOOKIEABCDEFGHIJKLMNOPQRSTUV
        data_dir: /var/lib/rabbitmq/main
        policies:
          - name: ha-ceilometer-events
            pattern: '^ceilometer\.'
            definition: {ha-mode: all, ha-sync-mode: automatic}
            priority: 20
            apply_to: queues
