{#- Role-driven: the common part for any Kubernetes node, then each role the pillar enables. #}
{%- set k8s = pillar.get('kubernetes', {}) %}
include:
{%- if k8s.common is defined and (k8s.master is defined or k8s.pool is defined) %}
  - kubernetes.common
{%- endif %}
{%- if k8s.master is defined %}
  - kubernetes.master
{%- endif %}
{%- if k8s.pool is defined %}
  - kubernetes.pool
{%- endif %}
