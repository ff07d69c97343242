include:
{%- if pillar.rabbitmq is defined and pillar.rabbitmq.server is defined %}
  - rabbitmq.server
{%- endif %}
