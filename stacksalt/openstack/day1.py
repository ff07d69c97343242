"""Day-1 resources over nova, glance and neutron: plans (look only) whose steps act.
Decisions: :mod:`stacksalt.openstack.resources`."""

from __future__ import annotations

import os

from stacksalt.openstack import resources
from stacksalt.openstack.clients import Glance, Neutron, Nova, file_checksums, service_api
from stacksalt.openstack.keystone import KeystoneClient
from stacksalt.openstack.plan import Plan, PlanError


def _plan(what: str, decision: resources.Decision) -> Plan:
    plan = Plan(what, decision.changes)
    if decision.action == "blocked":
        plan.problems.append(decision.problem)
    return plan


class Day1:
    """Plans over a logged-in :class:`KeystoneClient`; the service clients are made from the
    catalog on first use (``interface``, ``region``)."""

    def __init__(self, kc: KeystoneClient, interface: str = "internal", region=None):
        self.kc, self.interface, self.region = kc, interface, region
        self._nova = self._glance = self._neutron = None

    @property
    def nova(self) -> Nova:
        if self._nova is None:
            self._nova = Nova(
                service_api(self.kc, "nova", "compute", "v2.1", self.interface, self.region)
            )
        return self._nova

    @property
    def glance(self) -> Glance:
        if self._glance is None:
            self._glance = Glance(
                service_api(self.kc, "glance", "image", "v2", self.interface, self.region)
            )
        return self._glance

    @property
    def neutron(self) -> Neutron:
        if self._neutron is None:
            api = service_api(self.kc, "neutron", "network", "v2.0", self.interface, self.region)
            self._neutron = Neutron(api, self.kc.project_id)
        return self._neutron

    # ------------------------------------------------------------------ flavors

    def flavor(self, name: str, spec: dict) -> Plan:
        actual = self.nova.flavor_named(name)
        specs = self.nova.extra_specs(actual["id"]) if actual else None
        decision = resources.flavor_decision(name, spec, actual, specs)
        plan = _plan(f"flavor {name}", decision)
        want = resources.flavor_wanted(spec)
        extra = {str(k): str(v) for k, v in (spec.get("extra_specs") or {}).items()}

        def create():
            made = self.nova.create_flavor(name, want)
            if extra:
                self.nova.set_extra_specs(made["id"], extra)

        if decision.action == "create":
            plan.steps.append(create)
        elif decision.action == "recreate":
            if want["id"] is None:
                want["id"] = str(actual["id"])  # keep the id others may refer to
            plan.steps += [lambda: self.nova.delete_flavor(actual["id"]), create]
        elif decision.action == "update":
            plan.steps.append(lambda: self.nova.set_extra_specs(actual["id"], extra))
        return plan

    # ------------------------------------------------------------------ images

    def image(self, name: str, spec: dict) -> Plan:
        path = spec.get("file")
        if not path or not os.path.isfile(path):
            return Plan(
                f"image {name}",
                problems=[
                    f"image {name}: file {path!r} does not exist here; the Job must mount it "
                    "(images cannot be downloaded during the bootstrap)"
                ],
            )
        checksums = file_checksums(path)
        found = self.glance.images_named(name)
        decision = resources.image_decision(name, spec, found, checksums)
        plan = _plan(f"image {name}", decision)
        body = {
            "name": name,
            "disk_format": spec.get("disk_format", "qcow2"),
            "container_format": spec.get("container_format", "bare"),
            "visibility": spec.get("visibility", "public"),
            **{str(k): str(v) for k, v in (spec.get("properties") or {}).items()},
        }

        def create():
            made = self.glance.create(body)
            self.glance.upload(made["id"], path)

        if decision.action == "create":
            plan.steps.append(create)
        elif decision.action == "upload":
            plan.steps.append(lambda: self.glance.upload(found[0]["id"], path))
        elif decision.action == "recreate":
            for old in found:
                plan.steps.append(lambda old_id=old["id"]: self.glance.delete(old_id))
            plan.steps.append(create)
        elif decision.action == "update":
            same = [i for i in found if resources.same_data(i, checksums)][0]
            news = {k: v["new"] for k, v in decision.changes.items()}
            plan.steps.append(lambda: self.glance.patch(same["id"], news))
        return plan

    # ------------------------------------------------------------------ networks

    def _network(self, name):
        return self.neutron.find("networks", f"networks named {name}", name=name)

    def network(self, name: str, spec: dict) -> Plan:
        actual = self._network(name)
        decision = resources.network_decision(name, spec, actual)
        plan = _plan(f"network {name}", decision)
        body = resources.network_body(spec)
        if decision.action == "create":
            plan.steps.append(
                lambda: self.neutron.create("networks", "network", {"name": name, **body})
            )
        elif decision.action == "update":
            news = {k: v["new"] for k, v in decision.changes.items()}
            plan.steps.append(
                lambda: self.neutron.update("networks", "network", actual["id"], news)
            )
        return plan

    def subnet(self, name: str, spec: dict) -> Plan:
        network = self._network(spec["network"])
        network_id = network["id"] if network else None
        actual = None
        if network_id:
            actual = self.neutron.find(
                "subnets", f"subnets named {name}", name=name, network_id=network_id
            )
        decision = resources.subnet_decision(name, spec, network_id, actual)
        plan = _plan(f"subnet {name}", decision)

        def create():
            net = network or self._network(spec["network"])
            if net is None:
                raise PlanError(f"subnet {name}: network {spec['network']} does not exist")
            body = resources.subnet_body(spec, net["id"])
            self.neutron.create("subnets", "subnet", {"name": name, **body})

        if decision.action == "create":
            plan.steps.append(create)
        elif decision.action == "update":
            news = {k: v["new"] for k, v in decision.changes.items()}
            plan.steps.append(lambda: self.neutron.update("subnets", "subnet", actual["id"], news))
        return plan

    # ------------------------------------------------------------------ routers

    def _subnet_id(self, name):
        found = self.neutron.find("subnets", f"subnets named {name}", name=name)
        return found["id"] if found else None

    def router(self, name: str, spec: dict) -> Plan:
        actual = self.neutron.find("routers", f"routers named {name}", name=name)
        ext_name = spec.get("external_network")
        ext = self._network(ext_name) if ext_name else None
        subnets = {s: self._subnet_id(s) for s in spec.get("interfaces") or []}
        attached = self.neutron.router_subnets(actual["id"]) if actual else set()
        decision = resources.router_decision(
            name, ext_name, ext["id"] if ext else None, subnets, actual, attached
        )
        plan = _plan(f"router {name}", decision)
        if decision.action == "none":
            return plan

        def apply():
            router = actual
            gateway = None
            if ext_name:
                net = ext or self._network(ext_name)
                if net is None:
                    raise PlanError(f"router {name}: network {ext_name} does not exist")
                gateway = {"network_id": net["id"]}
            if router is None:
                body = {"name": name}
                if gateway:
                    body["external_gateway_info"] = gateway
                router = self.neutron.create("routers", "router", body)
            elif "external_gateway" in decision.changes:
                self.neutron.update(
                    "routers", "router", router["id"], {"external_gateway_info": gateway}
                )
            have = self.neutron.router_subnets(router["id"])
            for subnet in (decision.changes.get("interfaces") or {}).get("new", []):
                sid = subnets.get(subnet) or self._subnet_id(subnet)
                if sid is None:
                    raise PlanError(f"router {name}: subnet {subnet} does not exist")
                if sid not in have:
                    self.neutron.add_router_interface(router["id"], sid)

        plan.steps.append(apply)
        return plan

    # ------------------------------------------------------------------ security groups

    def security_group(self, name: str, spec: dict) -> Plan:
        actual = self.neutron.find("security-groups", f"security groups named {name}", name=name)
        rules = list(spec.get("rules") or [])
        have = []
        if actual:
            have = self.neutron.list("security-group-rules", security_group_id=actual["id"])
        missing = resources.missing_rules(rules, have)
        plan = Plan(f"security group {name}")
        if actual is None:
            plan.changes["security_group"] = {"old": None, "new": name}
        if missing:
            plan.changes["rules"] = {
                "old": None,
                "new": [resources.describe_rule(r) for r in missing],
            }
        if not plan.changes:
            return plan

        def apply():
            group = actual or self.neutron.create(
                "security-groups",
                "security_group",
                {"name": name, "description": spec.get("description", "")},
            )
            present = self.neutron.list("security-group-rules", security_group_id=group["id"])
            for rule in resources.missing_rules(rules, present):
                self.neutron.create(
                    "security-group-rules",
                    "security_group_rule",
                    resources.rule_body(rule, group["id"]),
                )

        plan.steps.append(apply)
        return plan
