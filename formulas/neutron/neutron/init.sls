include:
{%- if pillar.neutron is defined and pillar.neutron.server is defined %}
  - neutron.server
{%- endif %}
{%- if pillar.neutron is defined and pillar.neutron.agent is defined %}
  - neutron.agent
{%- endif %}
