{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import common, master, pool, bindir with context %}
{%- if common.enabled %}
{%- set wanted = [] %}
{%- if master.enabled %}
{%-   do wanted.extend(['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl']) %}
{%- endif %}
{%- if pool.enabled %}
{%-   do wanted.extend(['kubelet', 'kube-proxy']) %}
{%- endif %}

{%- if common.binaries.present %}
{%-   for bin in wanted %}
{%-     if not common.binaries.source or bin not in common.binaries.hashes %}
kubernetes-common-binary-{{ bin }}-source-missing:
  test.fail_without_changes:
    - name: >-
        kubernetes:common:binaries: present is true but
        {%- if not common.binaries.source %} source is not set{% else %} hashes:{{ bin }} (sha256) is missing{% endif %}
{%-     else %}
{#- The hash is checked before the file replaces the old one. #}
kubernetes-common-binary-{{ bin }}-installed:
  file.managed:
    - name: {{ bindir }}/{{ bin }}
    - source: {{ common.binaries.source }}/{{ bin }}
    - source_hash: sha256={{ common.binaries.hashes[bin] }}
    - mode: "0755"
    - makedirs: true
{%-     endif %}
{%-   endfor %}
{%- else %}

{#- Debian has no Kubernetes packages and nothing is downloaded here: the units are
    installed and enabled, not started, until the operator provides the binaries. #}
kubernetes-common-binaries-not-present:
  test.show_notification:
    - text: >-
        Kubernetes {{ common.binaries.version }} binaries ({{ wanted | join(', ') }}) are
        not installed: kubernetes:common:binaries:present is false. Their systemd units are
        installed and enabled but not started. Set present, source and hashes to install
        them.
{%- endif %}
{%- endif %}
