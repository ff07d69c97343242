{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import common, pkidir with context %}
{%- if common.enabled %}

kubernetes-common-pki-dir-present:
  file.directory:
    - name: {{ pkidir }}
    - mode: "0755"
    - makedirs: true

{#- The CA's certificate only; its key stays in the pillar (read by the states below). #}
kubernetes-common-ca-certificate-installed:
  kubernetes_pki.ca_certificate_installed:
    - name: {{ pkidir }}/ca.crt
    - ca_pillar: {{ common.pki.ca_pillar }}
    - require:
      - file: kubernetes-common-pki-dir-present
{%- endif %}
