include:
{%- if pillar.galera is defined and pillar.galera.server is defined %}
  - galera.server
{%- endif %}
