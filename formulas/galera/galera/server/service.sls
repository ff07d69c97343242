{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import server with context %}
{%- if not grains.get('noservices', False) %}

include:
  - {{ tplroot }}.server.install
  - {{ tplroot }}.server.config

galera-server-agent-service-running:
  service.running:
    - name: {{ server.agent_service }}
    - enable: true
    - require:
      - file: galera-server-config-file-managed
      - file: galera-server-agent-config-file-managed
      - file: galera-server-agent-unit-file-managed
      - service: galera-server-distro-units-masked

{#- A changed configuration restarts the member in its turn (one member at a time, under a
    lock in etcd), never all of them at once as a 'watch' would in a highstate run on every
    member: that would be a full outage. #}
galera-server-agent-restarted-in-turn:
  galera_cluster.restarted_in_turn:
    - name: {{ server.agent_service }}
    - files:
      - {{ server.config_file }}
      - {{ server.agent_config_file }}
      - /etc/systemd/system/{{ server.agent_service }}.service
    - size: {{ server.cluster_size }}
    - cluster: {{ server.cluster_name }}
    - node: {{ server.name }}
    - endpoints: {{ server.etcd.endpoints | json }}
    - socket: {{ server.socket }}
    - timeout: {{ server.synced_timeout }}
    - require:
      - service: galera-server-agent-service-running

{#- Looks only: waits until this member is Synced in a cluster of cluster_size. #}
galera-server-cluster-synced:
  galera_cluster.synced:
    - size: {{ server.cluster_size }}
    - socket: {{ server.socket }}
    - timeout: {{ server.synced_timeout }}
    - require:
      - galera_cluster: galera-server-agent-restarted-in-turn
{%- endif %}
