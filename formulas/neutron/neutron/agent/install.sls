{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import agent with context %}

neutron-agent-packages-installed:
  pkg.installed:
    - pkgs: {{ agent.pkgs | yaml }}
