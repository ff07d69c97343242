include:
{%- if pillar.etcd is defined and pillar.etcd.server is defined %}
  - etcd.server
{%- endif %}
