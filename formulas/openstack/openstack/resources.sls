{#- Day-1 resources over nova, glance and neutron, found through the keystone catalog
    (identity:interface URLs in identity:region): the flavors (the six defaults and the
    model's), images uploaded from files the Job provides, networks, subnets, routers and
    security groups. The pillar is checked first: nothing is touched for a broken model. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import resources, flavors, resources_conn, args, defaults
    with context %}
{%- set valid = 'openstack_pillar: openstack-resources-pillar-validated' %}

openstack-resources-pillar-validated:
  openstack_pillar.valid:
    - pillar_key: openstack:resources
    - defaults: {{ defaults.openstack.resources | json }}

{%- for fname, flavor in flavors | dictsort %}

openstack-resources-flavor-{{ fname }}-present:
  openstack_resources.flavor_present:
    - name: {{ flavor.get('name', fname) | json }}
    - ram: {{ flavor.get('ram') | json }}
    - vcpus: {{ flavor.get('vcpus') | json }}
    - disk: {{ flavor.get('disk') | json }}
    - ephemeral: {{ flavor.get('ephemeral', 0) | json }}
    - swap: {{ flavor.get('swap', 0) | json }}
    - is_public: {{ flavor.get('is_public', true) | json }}
{%-   if flavor.get('id') is not none %}
    - flavor_id: {{ flavor.id | string | json }}
{%-   endif %}
    - extra_specs: {{ flavor.get('extra_specs', {}) | json }}
    - recreate: {{ flavor.get('recreate', false) | json }}
{{- args(resources_conn) }}
    - require:
      - {{ valid }}
{%- endfor %}

{%- for iname, image in resources.images | dictsort %}
{%-   if image.get('size_mb') %}

{#- No image can be downloaded here: a test image of zeros (a raw disk), made once. #}
openstack-resources-image-{{ iname }}-file-present:
  cmd.run:
    - name: >-
        mkdir -p {{ image.file.rsplit('/', 1)[0] }}
        && truncate -s {{ image.size_mb }}M {{ image.file }}
    - creates: {{ image.file }}
    - require_in:
      - openstack_resources: openstack-resources-image-{{ iname }}-present
{%-   endif %}

openstack-resources-image-{{ iname }}-present:
  openstack_resources.image_present:
    - name: {{ image.get('name', iname) | json }}
    - file: {{ image.get('file') | json }}
    - disk_format: {{ image.get('disk_format', 'qcow2') | json }}
    - container_format: {{ image.get('container_format', 'bare') | json }}
    - visibility: {{ image.get('visibility', 'public') | json }}
    - properties: {{ image.get('properties', {}) | json }}
    - recreate: {{ image.get('recreate', false) | json }}
{{- args(resources_conn) }}
    - require:
      - {{ valid }}
{%- endfor %}

{#- Networks, subnets and routers refer to each other by name (an entry's name, or its key). #}
{%- set net_ids = {} %}
{%- for nkey, net in resources.networks | dictsort %}
{%-   do net_ids.update({net.get('name', nkey): 'openstack-resources-network-' ~ nkey ~ '-present'}) %}

openstack-resources-network-{{ nkey }}-present:
  openstack_resources.network_present:
    - name: {{ net.get('name', nkey) | json }}
{%-   for key in ['network_type', 'physical_network', 'segmentation_id', 'mtu'] %}
{%-     if net.get(key) is not none %}
    - {{ key }}: {{ net[key] | json }}
{%-     endif %}
{%-   endfor %}
    - external: {{ net.get('external', false) | json }}
    - shared: {{ net.get('shared', false) | json }}
{{- args(resources_conn) }}
    - require:
      - {{ valid }}
{%- endfor %}

{%- set subnet_ids = {} %}
{%- for skey, subnet in resources.subnets | dictsort %}
{%-   do subnet_ids.update({subnet.get('name', skey): 'openstack-resources-subnet-' ~ skey ~ '-present'}) %}

openstack-resources-subnet-{{ skey }}-present:
  openstack_resources.subnet_present:
    - name: {{ subnet.get('name', skey) | json }}
    - network: {{ subnet.get('network') | json }}
    - cidr: {{ subnet.get('cidr') | json }}
{%-   for key in ['gateway_ip', 'dns_nameservers', 'allocation_pools'] %}
{%-     if subnet.get(key) is not none %}
    - {{ key }}: {{ subnet[key] | json }}
{%-     endif %}
{%-   endfor %}
    - enable_dhcp: {{ subnet.get('enable_dhcp', true) | json }}
{{- args(resources_conn) }}
    - require:
      - {{ valid }}
{%-   if subnet.get('network') in net_ids %}
      - openstack_resources: {{ net_ids[subnet.network] }}
{%-   endif %}
{%- endfor %}

{%- for rkey, router in resources.routers | dictsort %}

openstack-resources-router-{{ rkey }}-present:
  openstack_resources.router_present:
    - name: {{ router.get('name', rkey) | json }}
{%-   if router.get('external_network') %}
    - external_network: {{ router.external_network | json }}
{%-   endif %}
    - interfaces: {{ router.get('interfaces', []) | json }}
{{- args(resources_conn) }}
    - require:
      - {{ valid }}
{%-   if router.get('external_network') in net_ids %}
      - openstack_resources: {{ net_ids[router.external_network] }}
{%-   endif %}
{%-   for subnet in router.get('interfaces', []) %}
{%-     if subnet in subnet_ids %}
      - openstack_resources: {{ subnet_ids[subnet] }}
{%-     endif %}
{%-   endfor %}
{%- endfor %}

{%- for gkey, group in resources.security_groups | dictsort %}

openstack-resources-security-group-{{ gkey }}-present:
  openstack_resources.security_group_present:
    - name: {{ group.get('name', gkey) | json }}
    - description: {{ group.get('description', '') | json }}
    - rules: {{ group.get('rules', []) | json }}
{{- args(resources_conn) }}
    - require:
      - {{ valid }}
{%- endfor %}
