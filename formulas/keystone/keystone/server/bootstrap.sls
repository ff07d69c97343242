{#- The database and its user (through the local Galera member's socket, when asked), the
    schema, the fernet and credential keys (unless the pillar gives them), the admin user,
    project, role and identity endpoint. Applied by a Job (stacksalt-entrypoint --apply
    keystone.server.bootstrap) or, on a host, when keystone:server:bootstrap:enabled asks.
    Each step looks first, so a second run changes nothing. The admin password reaches
    keystone-manage in its environment (OS_BOOTSTRAP_PASSWORD), never in argv. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import server with context %}

include:
  - {{ tplroot }}.server.db_sync

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

{%- if not server.fernet.primary_key %}

keystone-server-fernet-keys-present:
  cmd.run:
    - name: >-
        keystone-manage fernet_setup
        --keystone-user {{ server.user }} --keystone-group {{ server.group }}
    - creates: {{ server.fernet.key_repository }}/0
    - require:
      - sls: {{ tplroot }}.server.config
    - require_in:
      - cmd: keystone-server-bootstrapped
{%- endif %}
{%- if not server.credential.primary_key %}

keystone-server-credential-keys-present:
  cmd.run:
    - name: >-
        keystone-manage credential_setup
        --keystone-user {{ server.user }} --keystone-group {{ server.group }}
    - creates: {{ server.credential.key_repository }}/0
    - require:
      - sls: {{ tplroot }}.server.config
    - require_in:
      - cmd: keystone-server-bootstrapped
{%- endif %}

{#- The admin password reaches keystone-manage through a file only keystone reads (written
    from the pillar by key), never as a state argument, in argv or in a log. #}
keystone-server-admin-password-file-managed:
  file.managed:
    - name: {{ server.admin_password_file }}
    - contents_pillar: keystone:server:admin:password
    - user: {{ server.user }}
    - group: {{ server.group }}
    - mode: "0400"
    - show_changes: false
    - require:
      - sls: {{ tplroot }}.server.config

keystone-server-bootstrapped:
  cmd.run:
    - name: >-
        OS_BOOTSTRAP_PASSWORD="$(cat {{ server.admin_password_file }})"
        exec keystone-manage bootstrap
        --bootstrap-username {{ server.admin.user }}
        --bootstrap-project-name {{ server.admin.project }}
        --bootstrap-role-name {{ server.admin.role }}
        --bootstrap-service-name keystone
        --bootstrap-region-id {{ server.region }}
        --bootstrap-admin-url {{ server.admin_url }}
        --bootstrap-internal-url {{ server.internal_url }}
        --bootstrap-public-url {{ server.public_url }}
    - runas: {{ server.user }}
    - unless: >-
        {{ server.python }} {{ server.check_script }} {{ server.config_file }}
        {{ server.admin.user }} {{ server.admin.project }}
    - output_loglevel: quiet
    - require:
      - cmd: keystone-server-db-synced
      - file: keystone-server-admin-password-file-managed
