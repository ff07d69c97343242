# Every section, as the bootstrap Jobs of nova, glance and neutron get it (merged), with the
# day-1 resources of a small cloud: Fuel CCP's flat external network and a VLAN tenant one.
openstack:
  database:
    host: 10.0.0.10
    port: 13306
    admin:
      user: root
      password: database-root-test-password
    users:
      nova:
        password: nova-db-test-password
        databases: [nova, nova_api, nova_cell0]
      glance:
        password: glance-db-test-password
        databases: [glance]
  messaging:
    api_url: http://10.0.0.10:15672
    admin:
      user: admin
      password: rabbitmq-admin-test-password
    users:
      nova:
        password: nova-rabbit-test-password
        vhost: /openstack
      neutron:
        password: neutron-rabbit-test-password
        vhost: /openstack
        permissions: {configure: "^(neutron|q-).*", write: ".*", read: ".*"}
  identity:
    auth_url: http://10.0.0.10:5000/v3
    region: RegionOne
    admin:
      password: admin-test-password
    users:
      nova:
        password: nova-keystone-test-password
      glance:
        password: glance-keystone-test-password
        email: glance@example.org
    services:
      nova:
        type: compute
        description: OpenStack Compute
        endpoints:
          public: http://192.0.2.10:8774/v2.1
          internal: http://10.0.0.10:8774/v2.1
          admin: http://10.0.0.10:8774/v2.1
      glance:
        type: image
        description: OpenStack Image
        endpoints:
          public: http://192.0.2.10:9292
          internal: http://10.0.0.10:9292
          admin: http://10.0.0.10:9292
  resources:
    flavors:
      m1.tiny:
        recreate: true
      m1.huge:
        id: "6"
        ram: 32768
        vcpus: 16
        disk: 320
        extra_specs: {"hw:cpu_policy": dedicated}
    images:
      cirros:
        file: /var/lib/stacksalt/images/cirros-0.6.2-x86_64-disk.img
        properties: {os_distro: cirros}
    networks:
      ext-net:
        network_type: flat
        physical_network: physnet1
        external: true
      int-net:
        network_type: vlan
        physical_network: physnet2
        segmentation_id: 1001
    subnets:
      ext-subnet:
        network: ext-net
        cidr: 10.90.2.0/24
        gateway_ip: 10.90.2.1
        enable_dhcp: false
        dns_nameservers: [8.8.8.8]
        allocation_pools:
          - {start: 10.90.2.10, end: 10.90.2.250}
      int-subnet:
        network: int-net
        cidr: 10.0.1.0/24
        gateway_ip: 10.0.1.1
    routers:
      ext-router:
        external_network: ext-net
        interfaces: [int-subnet]
    security_groups:
      basic:
        description: ICMP and SSH from anywhere
        rules:
          - {protocol: icmp}
          - {protocol: tcp, port: 22}
