include:
{%- if pillar.placement is defined and pillar.placement.server is defined %}
  - placement.server
{%- endif %}
