{#- The RabbitMQ vhosts, users and permissions of openstack:messaging:users, through the
    management HTTP API as the admin (tag administrator). Passwords: the pillar keys only. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import mq, messaging_conn, args, secret_key, defaults
    with context %}

openstack-messaging-pillar-validated:
  openstack_pillar.valid:
    - pillar_key: openstack:messaging
    - defaults: {{ defaults.openstack.messaging | json }}

{%- set ns = namespace(vhosts=[]) %}
{%- for uname, user in mq.users | dictsort %}
{%-   if user.get('vhost') and user.vhost not in ns.vhosts %}
{%-     set ns.vhosts = ns.vhosts + [user.vhost] %}
{%-   endif %}
{%- endfor %}

{%- for vhost in ns.vhosts | sort %}

openstack-messaging-vhost-{{ vhost | replace('/', '') or 'root' }}-present:
  openstack_messaging.vhost_present:
    - name: {{ vhost | json }}
{{- args(messaging_conn) }}
    - require:
      - openstack_pillar: openstack-messaging-pillar-validated
{%- endfor %}

{%- for uname, user in mq.users | dictsort %}
{%-   set perms = user.get('permissions', {}) %}

openstack-messaging-user-{{ uname }}-present:
  openstack_messaging.user_present:
    - name: {{ uname }}
    - password_pillar: {{ secret_key(user, 'openstack:messaging:users:' ~ uname ~ ':password') }}
    - tags: {{ user.get('tags', []) | json }}
{{- args(messaging_conn) }}
    - require:
      - openstack_pillar: openstack-messaging-pillar-validated

openstack-messaging-user-{{ uname }}-permissions-present:
  openstack_messaging.permissions_present:
    - name: {{ uname }}
    - vhost: {{ user.vhost | json }}
    - configure: {{ perms.get('configure', '.*') | json }}
    - write: {{ perms.get('write', '.*') | json }}
    - read: {{ perms.get('read', '.*') | json }}
{{- args(messaging_conn) }}
    - require:
      - openstack_messaging: openstack-messaging-user-{{ uname }}-present
      - openstack_messaging: openstack-messaging-vhost-{{ user.vhost | replace('/', '') or 'root' }}-present
{%- endfor %}
