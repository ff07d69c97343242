{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import server with context %}

include:
  - {{ tplroot }}.server.install

{#- keystone.conf holds the database password: readable by root and group keystone only. #}
keystone-server-config-file-managed:
  file.managed:
    - name: {{ server.config_file }}
    - source: salt://{{ tplroot }}/files/keystone.conf.jinja
    - template: jinja
    - user: root
    - group: {{ server.group }}
    - mode: "0640"
    - show_changes: false
    - context:
        cfg: {{ server | json }}
    - require:
      - sls: {{ tplroot }}.server.install

keystone-server-uwsgi-config-file-managed:
  file.managed:
    - name: {{ server.uwsgi_config_file }}
    - source: salt://{{ tplroot }}/files/keystone-uwsgi.ini.jinja
    - template: jinja
    - mode: "0644"
    - context:
        cfg: {{ server | json }}
    - require:
      - sls: {{ tplroot }}.server.install

{#- Key repositories, with the owner and mode keystone-manage wants. Keys given in the pillar
    (every replica the same) are written here, read by key; otherwise the bootstrap makes
    them. #}
keystone-server-key-repositories-present:
  file.directory:
    - names:
      - {{ server.fernet.key_repository }}
      - {{ server.credential.key_repository }}
    - user: {{ server.user }}
    - group: {{ server.group }}
    - mode: "0700"
    - makedirs: true
    - require:
      - sls: {{ tplroot }}.server.install

keystone-server-bootstrap-check-managed:
  file.managed:
    - name: {{ server.check_script }}
    - source: salt://{{ tplroot }}/files/bootstrapped.py
    - makedirs: true
    - mode: "0755"

{%- for repo in ['fernet', 'credential'] %}
{%-   for index, key in [(0, 'staged_key'), (1, 'primary_key')] %}
{%-     if server[repo][key] %}

keystone-server-{{ repo }}-key-{{ index }}-managed:
  file.managed:
    - name: {{ server[repo].key_repository }}/{{ index }}
    - contents_pillar: keystone:server:{{ repo }}:{{ key }}
    - user: {{ server.user }}
    - group: {{ server.group }}
    - mode: "0600"
    - show_changes: false
    - require:
      - file: keystone-server-key-repositories-present
{%-     endif %}
{%-   endfor %}
{%- endfor %}
