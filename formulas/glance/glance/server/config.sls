{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import server with context %}

include:
  - {{ tplroot }}.server.install

{#- glance-api.conf holds the database, RabbitMQ and keystone passwords: root and group
    glance only, and no diff in the state's return. #}
glance-server-config-file-managed:
  file.managed:
    - name: {{ server.config_file }}
    - source: salt://{{ tplroot }}/files/glance-api.conf.jinja
    - template: jinja
    - user: root
    - group: {{ server.group }}
    - mode: "0640"
    - show_changes: false
    - context:
        cfg: {{ server | json }}
    - require:
      - sls: {{ tplroot }}.server.install

{#- The file store (a volume shared by the replicas in containers), the staging area of
    image imports and the tasks' work directory. #}
glance-server-storage-directories-present:
  file.directory:
    - names:
      - {{ server.storage.images_dir }}
      - {{ server.storage.staging_dir }}
      - {{ server.storage.tasks_dir }}
    - user: {{ server.user }}
    - group: {{ server.group }}
    - mode: "0750"
    - makedirs: true
    - require:
      - sls: {{ tplroot }}.server.install
