{#- neutron-linuxbridge-agent, and the veth pairs its physical interfaces are made of when
    the model asks for them. #}
{%- from tpldir.split('/')[0] ~ "/map.jinja" import agent with context %}
{%- if agent.enabled %}
include:
  - .install
  - .config
  - .interfaces
  - .service
{%- endif %}
