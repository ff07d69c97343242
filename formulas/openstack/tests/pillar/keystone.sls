# The keystone Job's pillar: its own service and endpoints only, the admin's password named
# by the keystone formula's key (one secret, one place), no default flavors.
keystone:
  server:
    admin:
      password: admin-test-password
openstack:
  identity:
    auth_url: http://10.0.0.10:5000/v3
    admin:
      password_pillar: keystone:server:admin:password
    services:
      keystone:
        type: identity
        description: OpenStack Identity
        endpoints:
          public: http://192.0.2.10:5000/v3
          internal: http://10.0.0.10:5000/v3
          admin: http://10.0.0.10:5000/v3
  resources:
    default_flavors: false
