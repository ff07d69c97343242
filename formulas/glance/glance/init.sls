include:
{%- if pillar.glance is defined and pillar.glance.server is defined %}
  - glance.server
{%- endif %}
