include:
{%- if pillar.salt is defined and pillar.salt.minion is defined %}
  - salt.minion
{%- endif %}
{%- if pillar.salt is defined and pillar.salt.master is defined %}
  - salt.master
{%- endif %}
