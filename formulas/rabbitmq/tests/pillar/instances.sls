# Two independent clusters on the same three controllers (seed 002 layout): RPC and
# notifications, on distinct ports, cookies and data directories.
rabbitmq:
  server:
    enabled: true
    hostname: ctl01
    bind:
      address: 10.0.0.11
    services:
      keystone: {enabled: true, password: keystone-test-password}
      nova: {enabled: true, password: nova-test-password}
      ceilometer: {enabled: true, password: ceilometer-test-password}
    instances:
      main:
        enabled: false
      rpc:
        cluster_name: openstack-rpc
        carries: [rpc]
        members: [rabbit-rpc@ctl01, rabbit-rpc@ctl02, rabbit-rpc@ctl03]
        port: 5672
        dist_port: 25672
        cookie: RPCCOOKIEABCDEFGHIJKLMNOPQRSTUVW
        data_dir: /var/lib/rabbitmq/rpc
      notifications:
        cluster_name: openstack-notifications
        carries: [notifications]
        members: [rabbit-notif@ctl01, rabbit-notif@ctl02, rabbit-notif@ctl03]
        port: 5673
        dist_port: 25673
        cookie: NOTIFCOOKIEABCDEFGHIJKLMNOPQRSTU
        data_dir: /var/lib/rabbitmq/notifications
