{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import network with context %}

{#- /etc/hosts is written in place by the hosts module (no rename), which also works
    where the file is a bind mount, as in containers. #}
{%- for name, host in network.host | dictsort %}
linux-network-host-{{ name }}-present:
  host.only:
    - name: {{ host.address }}
    - hostnames: {{ host.names | yaml }}
{%- endfor %}
