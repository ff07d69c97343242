{#- Every section the pillar declares. A service's Job applies one SLS at a time
    (openstack.database, openstack.messaging, openstack.identity, openstack.resources); a
    service image applies this file with none declared: nothing to do. #}
{%- set sections = [] %}
{%- for section in ['database', 'messaging', 'identity', 'resources'] %}
{%-   if pillar.get('openstack', {}).get(section) is mapping %}
{%-     do sections.append(section) %}
{%-   endif %}
{%- endfor %}
{%- if sections %}
include:
{%-   for section in sections %}
  - openstack.{{ section }}
{%-   endfor %}
{%- else %}
openstack-nothing-declared:
  test.nop: []
{%- endif %}
