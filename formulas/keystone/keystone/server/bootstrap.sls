{#- Only on a run-time request (keystone:server:bootstrap:enabled, set by the container's
    entrypoint pillar, never by an image build): the database and its user, the schema,
    the fernet and credential keys, the admin user, project, role and identity endpoint.
    Each step looks first, so a second run changes nothing. The admin password reaches
    keystone-manage in its environment (OS_BOOTSTRAP_PASSWORD), never in argv. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import server with context %}
{%- if server.bootstrap.enabled %}

include:
  - {{ tplroot }}.server.config

{%- if server.database.create %}

keystone-server-database-present:
  galera_cluster.database_present:
    - name: {{ server.database.name }}
    - socket: {{ server.database.socket }}

keystone-server-database-user-present:
  galera_cluster.user_present:
    - name: {{ server.database.user }}
    {#- The pillar key of the password, never the value (a state argument is shown in
        state.show_sls and in the job cache). #}
    - password_pillar: keystone:server:database:password
    - host: "%"
    - grants:
      - "ALL PRIVILEGES ON `{{ server.database.name }}`.*"
    - socket: {{ server.database.socket }}
    - require:
      - galera_cluster: keystone-server-database-present
    - require_in:
      - cmd: keystone-server-db-synced
{%- endif %}

keystone-server-db-synced:
  cmd.run:
    - name: keystone-manage db_sync
    - runas: {{ server.user }}
    - unless: keystone-manage db_sync --check
    - require:
      - sls: {{ tplroot }}.server.config

keystone-server-fernet-keys-present:
  cmd.run:
    - name: >-
        keystone-manage fernet_setup
        --keystone-user {{ server.user }} --keystone-group {{ server.group }}
    - creates: {{ server.fernet.key_repository }}/0
    - require:
      - sls: {{ tplroot }}.server.config

keystone-server-credential-keys-present:
  cmd.run:
    - name: >-
        keystone-manage credential_setup
        --keystone-user {{ server.user }} --keystone-group {{ server.group }}
    - creates: {{ server.credential.key_repository }}/0
    - require:
      - sls: {{ tplroot }}.server.config

keystone-server-bootstrapped:
  cmd.run:
    - name: >-
        keystone-manage bootstrap
        --bootstrap-username {{ server.admin.user }}
        --bootstrap-project-name {{ server.admin.project }}
        --bootstrap-role-name {{ server.admin.role }}
        --bootstrap-service-name keystone
        --bootstrap-region-id {{ server.region }}
        --bootstrap-admin-url {{ server.public_url }}
        --bootstrap-internal-url {{ server.public_url }}
        --bootstrap-public-url {{ server.public_url }}
    - runas: {{ server.user }}
    - env:
      - OS_BOOTSTRAP_PASSWORD: {{ server.admin.password | json }}
    - unless: >-
        {{ server.python }} {{ server.check_script }} {{ server.config_file }}
        {{ server.admin.user }} {{ server.admin.project }}
    - output_loglevel: quiet
    - require:
      - cmd: keystone-server-db-synced
      - cmd: keystone-server-fernet-keys-present
      - cmd: keystone-server-credential-keys-present
{%- endif %}
