include:
{%- if pillar.horizon is defined and pillar.horizon.server is defined %}
  - horizon.server
{%- endif %}
