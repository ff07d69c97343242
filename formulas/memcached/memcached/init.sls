include:
{%- if pillar.memcached is defined and pillar.memcached.server is defined %}
  - memcached.server
{%- endif %}
