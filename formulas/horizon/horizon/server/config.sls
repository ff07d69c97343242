{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import server with context %}

include:
  - {{ tplroot }}.server.install

{#- local_settings.py holds Django's secret key: root and group horizon only, and no diff
    in the state's return. #}
horizon-server-config-file-managed:
  file.managed:
    - name: {{ server.config_file }}
    - source: salt://{{ tplroot }}/files/local_settings.py.jinja
    - template: jinja
    - user: root
    - group: {{ server.group }}
    - mode: "0640"
    - show_changes: false
    - context:
        cfg: {{ server | json }}
    - require:
      - sls: {{ tplroot }}.server.install

horizon-server-uwsgi-config-file-managed:
  file.managed:
    - name: {{ server.uwsgi_config_file }}
    - source: salt://{{ tplroot }}/files/horizon-uwsgi.ini.jinja
    - template: jinja
    - mode: "0644"
    - context:
        cfg: {{ server | json }}
    - require:
      - sls: {{ tplroot }}.server.install

{#- Debian's snippets run after local_settings.py: remove those that would override it
    (conffiles: dpkg does not bring them back on upgrade). #}
horizon-server-debian-snippets-absent:
  file.absent:
    - names:
{%- for name in server.debian_snippets_absent %}
      - {{ server.debian_snippets_dir }}/{{ name }}
{%- endfor %}
    - require:
      - sls: {{ tplroot }}.server.install
