{#- keystone: the projects and roles, the service users (in project service with roles admin
    and service unless they say otherwise), the services and their endpoints, through
    keystone's internal /v3 URL as the admin. Passwords: the pillar keys only. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import identity, identity_conn, args, secret_key, defaults
    with context %}
{%- set ud = identity.user_defaults %}

openstack-identity-pillar-validated:
  openstack_pillar.valid:
    - pillar_key: openstack:identity
    - defaults: {{ defaults.openstack.identity | json }}

{%- for pname, project in identity.projects | dictsort %}

openstack-identity-project-{{ pname }}-present:
  openstack_identity.project_present:
    - name: {{ pname }}
    - domain: {{ (project or {}).get('domain', ud.domain) | json }}
    - description: {{ (project or {}).get('description', '') | json }}
{{- args(identity_conn) }}
    - require:
      - openstack_pillar: openstack-identity-pillar-validated
{%- endfor %}

{%- set ns = namespace(roles=[]) %}
{%- for role in identity.roles %}
{%-   if role not in ns.roles %}{% set ns.roles = ns.roles + [role] %}{% endif %}
{%- endfor %}
{%- for uname, user in identity.users | dictsort %}
{%-   for role in user.get('roles', ud.roles) %}
{%-     if role not in ns.roles %}{% set ns.roles = ns.roles + [role] %}{% endif %}
{%-   endfor %}
{%- endfor %}

{%- for role in ns.roles | sort %}

openstack-identity-role-{{ role }}-present:
  openstack_identity.role_present:
    - name: {{ role | json }}
{{- args(identity_conn) }}
    - require:
      - openstack_pillar: openstack-identity-pillar-validated
{%- endfor %}

{%- for uname, user in identity.users | dictsort %}
{%-   set project = user.get('project', ud.project) %}
{%-   set domain = user.get('domain', ud.domain) %}

openstack-identity-user-{{ uname }}-present:
  openstack_identity.user_present:
    - name: {{ uname }}
    - password_pillar: {{ secret_key(user, 'openstack:identity:users:' ~ uname ~ ':password') }}
    - domain: {{ domain | json }}
    - project: {{ project | json }}
{%-   if user.get('email') %}
    - email: {{ user.email | json }}
{%-   endif %}
{{- args(identity_conn) }}
    - require:
      - openstack_pillar: openstack-identity-pillar-validated
{%-   if project in identity.projects %}
      - openstack_identity: openstack-identity-project-{{ project }}-present
{%-   endif %}

openstack-identity-user-{{ uname }}-roles-present:
  openstack_identity.role_assignment_present:
    - name: {{ uname }}
    - project: {{ project | json }}
    - roles: {{ user.get('roles', ud.roles) | json }}
    - domain: {{ domain | json }}
{{- args(identity_conn) }}
    - require:
      - openstack_identity: openstack-identity-user-{{ uname }}-present
{%-   for role in user.get('roles', ud.roles) %}
      - openstack_identity: openstack-identity-role-{{ role }}-present
{%-   endfor %}
{%- endfor %}

{%- for sname, service in identity.services | dictsort %}

openstack-identity-service-{{ sname }}-present:
  openstack_identity.service_present:
    - name: {{ sname }}
    - service_type: {{ service.type | json }}
    - description: {{ service.get('description', '') | json }}
{{- args(identity_conn) }}
    - require:
      - openstack_pillar: openstack-identity-pillar-validated
{%-   if service.get('endpoints') %}

openstack-identity-service-{{ sname }}-endpoints-present:
  openstack_identity.endpoints_present:
    - name: {{ sname }}
    - service_type: {{ service.type | json }}
    - urls: {{ service.endpoints | json }}
    - region: {{ service.get('region', identity.region) | json }}
{{- args(identity_conn) }}
    - require:
      - openstack_identity: openstack-identity-service-{{ sname }}-present
{%-   endif %}
{%- endfor %}
