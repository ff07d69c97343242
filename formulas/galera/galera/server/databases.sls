{#- The model's databases and their accounts: applied on the leader and replicated by
    Galera (a member that is not the leader waits for them). Needs a running member. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import server with context %}
{%- if not grains.get('noservices', False) %}

include:
  - {{ tplroot }}.server.service

{%- set leader = {'cluster': server.cluster_name, 'node': server.name,
                  'endpoints': server.etcd.endpoints} %}
{%- for db_name, db in server.databases | dictsort %}
galera-server-database-{{ db_name }}-present:
  galera_cluster.database_present:
    - name: {{ db_name }}
    - socket: {{ server.socket }}
    - leader: {{ leader | json }}
    - require:
      - galera_cluster: galera-server-cluster-synced

galera-server-user-{{ db.user }}-present:
  galera_cluster.user_present:
    - name: {{ db.user }}
    {#- the pillar key of the password, never the value (a state argument) #}
    - password_pillar: galera:server:databases:{{ db_name }}:password
    - host: {{ db.get('host', '%') | json }}
    - grants:
      - "ALL PRIVILEGES ON `{{ db_name }}`.*"
    - socket: {{ server.socket }}
    - leader: {{ leader | json }}
    - require:
      - galera_cluster: galera-server-database-{{ db_name }}-present
{%- endfor %}
{%- endif %}
