{#- The databases and accounts of the pillar's openstack:database:users, through the Galera
    writer over TCP as the admin (a Job runs in its own pod, away from any member's socket).
    Passwords: the pillar keys only (galera_cluster reads the values). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import db, database_conn, args, secret_key, defaults
    with context %}

openstack-database-pillar-validated:
  openstack_pillar.valid:
    - pillar_key: openstack:database
    - defaults: {{ defaults.openstack.database | json }}

{%- set ns = namespace(databases=[]) %}
{%- for uname, user in db.users | dictsort %}
{%-   for database in user.get('databases', []) %}
{%-     if database not in ns.databases %}
{%-       set ns.databases = ns.databases + [database] %}
{%-     endif %}
{%-   endfor %}
{%- endfor %}

{%- for database in ns.databases | sort %}

openstack-database-{{ database }}-present:
  galera_cluster.database_present:
    - name: {{ database }}
{{- args(database_conn) }}
    - require:
      - openstack_pillar: openstack-database-pillar-validated
{%- endfor %}

{%- for uname, user in db.users | dictsort %}

openstack-database-user-{{ uname }}-present:
  galera_cluster.user_present:
    - name: {{ uname }}
    - password_pillar: {{ secret_key(user, 'openstack:database:users:' ~ uname ~ ':password') }}
    - host: {{ user.get('host', '%') | json }}
    - grants:
{%-   for database in user.get('databases', []) %}
      - "ALL PRIVILEGES ON `{{ database }}`.*"
{%-   endfor %}
{{- args(database_conn) }}
    - require:
{%-   for database in user.get('databases', []) %}
      - galera_cluster: openstack-database-{{ database }}-present
{%-   endfor %}
{%- endfor %}
