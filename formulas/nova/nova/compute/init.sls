{#- nova-compute (python3-nova and a launcher; the fake driver needs no hypervisor). #}
{%- from tpldir.split('/')[0] ~ "/map.jinja" import compute with context %}
{%- if compute.enabled %}
include:
  - .install
  - .config
  - .service
{%- endif %}
