{#- The veth pairs of agent:veth_pairs ({interface: peer}), the first end being a physical
    interface of the mappings: made when missing, both ends up. The kernel of a container
    host may have no dummy or vlan links; veth needs none. Runs where the agent runs (in a
    container: at start, by the entrypoint, with NET_ADMIN; an image build asks for none). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import agent with context %}

{%- for name, peer in agent.veth_pairs | dictsort %}

neutron-agent-interfaces-{{ name }}-present:
  cmd.run:
    - name: ip link add {{ name }} type veth peer name {{ peer }}
    - unless: ip link show dev {{ name }}

neutron-agent-interfaces-{{ name }}-up:
  cmd.run:
    - name: ip link set dev {{ name }} up && ip link set dev {{ peer }} up
    - unless:
      - test -n "$(ip -o link show dev {{ name }} up)"
      - test -n "$(ip -o link show dev {{ peer }} up)"
    - require:
      - cmd: neutron-agent-interfaces-{{ name }}-present
{%- endfor %}
