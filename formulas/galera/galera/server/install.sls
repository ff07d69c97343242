{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import server with context %}

galera-server-packages-installed:
  pkg.installed:
    - pkgs: {{ server.pkgs | yaml }}

{#- mariadbd is run by the stacksalt Galera agent, which decides how it starts
    (bootstrap, join, recovery); the distribution's units stay off and masked, including
    socket activation, which would start a second server on the agent's first connection.
    In an image (noservices) there is no init to start them, nor one to mask them with. #}
{%- if not grains.get('noservices', False) %}
galera-server-distro-units-dead:
  service.dead:
    - names: {{ server.distro_units | yaml }}
    - enable: false
    - require:
      - pkg: galera-server-packages-installed

galera-server-distro-units-masked:
  service.masked:
    - names: {{ server.distro_units | yaml }}
    - require:
      - service: galera-server-distro-units-dead
{%- endif %}
