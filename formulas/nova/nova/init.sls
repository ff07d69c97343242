include:
{%- if pillar.nova is defined and pillar.nova.controller is defined %}
  - nova.controller
{%- endif %}
{%- if pillar.nova is defined and pillar.nova.compute is defined %}
  - nova.compute
{%- endif %}
