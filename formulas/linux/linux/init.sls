{#- Role-driven entry point: a role is included only when the pillar declares it. #}
include:
{%- if pillar.linux is defined and pillar.linux.system is defined %}
  - linux.system
{%- endif %}
{%- if pillar.linux is defined and pillar.linux.network is defined %}
  - linux.network
{%- endif %}
