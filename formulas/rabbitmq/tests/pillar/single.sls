rabbitmq:
  server:
    enabled: true
    hostname: node01
    bind:
      address: 127.0.0.1
    services:
      keystone:
        enabled: true
        password: keystone-test-password
      nova:
        enabled: true
        password: nova-test-password
        vhost: /nova
      heat:
        enabled: false
    instances:
      main:
        cluster_name: openstack
        members:
          - rabbit@node01
        port: 5672
        dist_port: 25672
        management_port: 15672
        cookie: TESTCOOKIEABCDEFGHIJKLMNOPQRSTUV
        data_dir: /var/lib/rabbitmq/main
