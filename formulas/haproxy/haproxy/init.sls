include:
{%- if pillar.haproxy is defined and pillar.haproxy.proxy is defined %}
  - haproxy.proxy
{%- endif %}
