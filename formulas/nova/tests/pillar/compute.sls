nova:
  compute:
    enabled: true
    host: fake-1
    message_queue:
      members:
        - {host: 10.0.0.11, port: 5672}
      password: nova-mq-test-password
    identity:
      auth_url: http://10.0.0.10:5000/v3
      password: nova-keystone-test-password
    cache:
      members:
        - {host: 10.0.0.11, port: 11211}
    placement:
      url: http://10.0.0.10:8778
    glance:
      url: http://10.0.0.10:9292
    neutron:
      url: http://10.0.0.10:9696
