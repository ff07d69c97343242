{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import compute with context %}

nova-compute-packages-installed:
  pkg.installed:
    - pkgs: {{ compute.pkgs | yaml }}
