{#- Every section the pillar declares. A service's Job applies one SLS at a time
    (openstack.database, openstack.messaging, openstack.identity, openstack.resources). #}
include:
{%- for section in ['database', 'messaging', 'identity', 'resources'] %}
{%-   if pillar.get('openstack', {}).get(section) is mapping %}
  - openstack.{{ section }}
{%-   endif %}
{%- endfor %}
