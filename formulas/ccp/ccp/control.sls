{#- The workload of this environment on Kubernetes, from the model (CCP application language).
    The data is passed as state arguments: Salt 3008 masks pillar values read inside modules.
    Without a kubeconfig the manifests are rendered and validated only. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import control with context %}
{%- if control.enabled %}
{%-   set workload = {} %}
{%-   for key in ['kubernetes', 'registry', 'images', 'configs', 'secret_configs', 'nodes',
                  'roles', 'replicas', 'services', 'definitions', 'config_files', 'options'] %}
{%-     if control.get(key) is not none %}
{%-       do workload.update({key: control[key]}) %}
{%-     endif %}
{%-   endfor %}
{%-   if control.kubeconfig %}

ccp-control-manifests-applied:
  k8s.applied:
    - name: {{ control.kubernetes.namespace }}
    - workload: {{ workload | json }}
    - kubeconfig: {{ control.kubeconfig | json }}
    - prune: {{ control.prune | json }}
    - timeout: {{ control.timeout | json }}
{%-     if control.formulas_dir %}
    - formula_roots: {{ [control.formulas_dir] | json }}
{%-     endif %}
{%-   else %}

ccp-control-manifests-validated:
  k8s.validated:
    - name: {{ control.kubernetes.namespace }}
    - workload: {{ workload | json }}
{%-     if control.formulas_dir %}
    - formula_roots: {{ [control.formulas_dir] | json }}
{%-     endif %}
{%-   endif %}
{%- endif %}
