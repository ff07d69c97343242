{#- Membership (rabbitmqctl join), then what lives in the cluster (objects.sls). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import server, instances, users, vhosts, policy_services with context %}

include:
  - {{ tplroot }}.server.service
{%- if not grains.get('noservices', False) %}
  - {{ tplroot }}.server.objects
{%- endif %}

{%- if not grains.get('noservices', False) %}
{%- for inst in instances %}
{%- set conn_env = dict(HOME=inst.data_dir) %}

rabbitmq-server-{{ inst.name }}-cluster-joined:
  rabbitmq_cluster.joined:
    - name: {{ inst.node }}
    - members: {{ inst.members | yaml }}
    - cluster_name: {{ inst.cluster_name }}
    - env: {{ conn_env | json }}
    - timeout: {{ server.join_timeout }}
    - require:
      - sls: {{ tplroot }}.server.service

{%- endfor %}
{%- endif %}
