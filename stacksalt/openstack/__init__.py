"""Bootstrap of OpenStack services: databases, RabbitMQ users, keystone objects and day-1
resources, as pure decisions (``identity``, ``messaging``, ``resources``, ``catalog``,
``validate``) and small REST clients over ``requests`` (``http``, ``keystone``,
``rabbitmq_api``, ``clients``). Salt's ``openstack_*`` modules are thin adapters over these.

No module here reads the pillar or logs a secret: passwords arrive as arguments from the
Salt adapters, which read them from the pillar by key.
"""
