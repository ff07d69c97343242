{%- from tpldir ~ "/map.jinja" import server with context %}
{%- if server.enabled %}

galera-server-packages-installed:
  pkg.installed:
    - pkgs: {{ server.pkgs | yaml }}

{#- mariadbd is run by the stacksalt Galera agent, which decides how it starts
    (bootstrap, join, recovery); the distribution's units stay off and masked, including
    socket activation, which would start a second server on the agent's first connection.
    In an image (noservices) there is no init to start them, nor one to mask them with. #}
{%- if not grains.get('noservices', False) %}
galera-server-distro-units-dead:
  service.dead:
    - names: {{ server.distro_units | yaml }}
    - enable: false
    - require:
      - pkg: galera-server-packages-installed

galera-server-distro-units-masked:
  service.masked:
    - names: {{ server.distro_units | yaml }}
    - require:
      - service: galera-server-distro-units-dead
{%- endif %}

galera-server-config-file-managed:
  file.managed:
    - name: {{ server.config_file }}
    - source: salt://{{ tpldir }}/files/galera.cnf.jinja
    - template: jinja
    - mode: "0644"
    - context:
        cfg: {{ server | json }}
    - require:
      - pkg: galera-server-packages-installed

galera-server-agent-config-file-managed:
  file.managed:
    - name: {{ server.agent_config_file }}
    - source: salt://{{ tpldir }}/files/agent.yaml.jinja
    - template: jinja
    - makedirs: true
    - mode: "0600"
    - show_changes: false
    - context:
        cfg: {{ server | json }}

galera-server-agent-unit-file-managed:
  file.managed:
    - name: /etc/systemd/system/{{ server.agent_service }}.service
    - source: salt://{{ tpldir }}/files/agent.service.jinja
    - template: jinja
    - mode: "0644"
    - context:
        cfg: {{ server | json }}

{%- if not grains.get('noservices', False) %}
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

{%- endif %}
