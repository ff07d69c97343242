include:
{%- if pillar.keystone is defined and pillar.keystone.server is defined %}
  - keystone.server
{%- endif %}
