{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import minion with context %}
{%- if minion.enabled %}

salt-minion-config-file-managed:
  file.managed:
    - name: {{ minion.config_file }}
    - source: salt://{{ tplroot }}/files/minion.conf.jinja
    - template: jinja
    - mode: "0644"
    - context:
        cfg: {{ minion | json }}
        minion_id: {{ grains['id'] }}

{#- Restarting the minion from inside its own job would kill the job: the restart is
    scheduled in the background and happens after this highstate has returned. #}
salt-minion-service-restart-scheduled:
  cmd.run:
    - name: sleep {{ minion.restart_delay }} && systemctl restart salt-minion
    - bg: true
    - order: last
    - onchanges:
      - file: salt-minion-config-file-managed

{%- endif %}
