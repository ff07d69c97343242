{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import system with context %}
{%- if system.enabled %}

linux-system-hostname-file-managed:
  file.managed:
    - name: /etc/hostname
    - contents: {{ system.name }}

linux-system-hostname-set:
  cmd.run:
    - name: hostname {{ system.name }}
    - unless: test "$(hostname)" = "{{ system.name }}"
    - require:
      - file: linux-system-hostname-file-managed

{%- if system.packages %}
linux-system-packages-installed:
  pkg.installed:
    - pkgs: {{ system.packages | yaml }}
{%- endif %}

{%- if system.kernel.sysctl %}
{#- Persisted for boot in one file; applied now only where the running value differs.
    (Salt's sysctl.present always writes /proc/sys when it adds a line, which fails in
    containers, where /proc/sys is read-only and network keys are set by the runtime.) #}
linux-system-sysctl-file-managed:
  file.managed:
    - name: {{ system.sysctl_file }}
    - source: salt://{{ tplroot }}/files/sysctl.conf.jinja
    - template: jinja
    - mode: "0644"
    - context:
        sysctl: {{ system.kernel.sysctl | json }}

{%- for key, value in system.kernel.sysctl | dictsort %}
linux-system-sysctl-{{ key }}-applied:
  cmd.run:
    - name: sysctl -w {{ key }}={{ value }}
    - unless: test "$(sysctl -n {{ key }})" = "{{ value }}"
    - require:
      - file: linux-system-sysctl-file-managed
{%- endfor %}
{%- endif %}

{%- endif %}
