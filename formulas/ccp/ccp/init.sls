include:
{%- if pillar.ccp is defined and pillar.ccp.control is defined %}
  - ccp.control
{%- endif %}
