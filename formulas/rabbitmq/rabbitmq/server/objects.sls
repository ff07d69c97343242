{#- What lives in the cluster: vhosts, users of the enabled OpenStack services, and the
    policies derived from those services. Cluster-wide objects are set from every member;
    the states look first, so the second member finds nothing to do.
    On a host they follow the membership (cluster.sls). In a container (grain noservices)
    nothing runs at state time, so 'stacksalt compose up' applies this file alone on the first
    member once every member is healthy (a post job, as Fuel CCP's 'post' commands). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import server, instances, users, vhosts, policy_services with context %}
{%- set on_host = not grains.get('noservices', False) %}

{%- if on_host %}
include:
  - {{ tplroot }}.server.cluster
{%- endif %}

{%- for inst in instances %}
{%- set conn_env = dict(HOME=inst.data_dir) %}

{%- for vhost in vhosts %}

rabbitmq-server-{{ inst.name }}-vhost-{{ vhost | replace('/', '') or 'root' }}-present:
  rabbitmq_cluster.vhost_present:
    - name: {{ vhost }}
    - node: {{ inst.node }}
    - env: {{ conn_env | json }}
{%- if on_host %}
    - require:
      - rabbitmq_cluster: rabbitmq-server-{{ inst.name }}-cluster-joined
{%- endif %}
{%- endfor %}

{%- for user in users %}

rabbitmq-server-{{ inst.name }}-user-{{ user.name }}-present:
  rabbitmq_cluster.user_present:
    - name: {{ user.name }}
    - password_pillar: {{ user.password_pillar }}
    - tags: {{ user.tags | json }}
    - perms:
{%- for vhost in user.get('vhosts', [user.vhost]) %}
        {{ vhost }}: ['.*', '.*', '.*']
{%- endfor %}
    - node: {{ inst.node }}
    - env: {{ conn_env | json }}
    - require:
      - rabbitmq_cluster: rabbitmq-server-{{ inst.name }}-vhost-{{ user.vhost | replace('/', '') or 'root' }}-present
{%- endfor %}

rabbitmq-server-{{ inst.name }}-policies-present:
  rabbitmq_cluster.policies_present:
    - services: {{ policy_services | json }}
    - policy_options: {{ server.policy_options | json }}
    - carries: {{ inst.carries | json }}
    - vhosts: {{ vhosts | json }}
    - node: {{ inst.node }}
    - env: {{ conn_env | json }}
    - require:
{%- if on_host %}
      - rabbitmq_cluster: rabbitmq-server-{{ inst.name }}-cluster-joined
{%- endif %}
{%- for vhost in vhosts %}
      - rabbitmq_cluster: rabbitmq-server-{{ inst.name }}-vhost-{{ vhost | replace('/', '') or 'root' }}-present
{%- endfor %}

{%- for policy in inst.policies %}

rabbitmq-server-{{ inst.name }}-policy-{{ policy.name }}-present:
  rabbitmq_cluster.policy_present:
    - name: {{ policy.name }}
    - pattern: {{ policy.pattern | json }}
    - definition: {{ policy.get('definition', {}) | json }}
    - priority: {{ policy.get('priority', 0) }}
    - apply_to: {{ policy.get('apply_to', 'all') }}
    - vhost: {{ policy.get('vhost', vhosts[0]) }}
    - node: {{ inst.node }}
    - env: {{ conn_env | json }}
    - require:
      - rabbitmq_cluster: rabbitmq-server-{{ inst.name }}-policies-present
{%- endfor %}
{%- endfor %}
