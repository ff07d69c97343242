{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import server with context %}

horizon-server-packages-installed:
  pkg.installed:
    - pkgs: {{ server.pkgs | yaml }}
