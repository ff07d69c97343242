{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import controller with context %}

nova-controller-packages-installed:
  pkg.installed:
    - pkgs: {{ controller.pkgs | yaml }}
