"""Table tests for exact rebuilds: tags, reasons, --since, and the parallel build order."""

from __future__ import annotations

import threading

import pytest

from stacksalt.images import plan as P
from stacksalt.images.plan import BUILD, SKIP, UP_TO_DATE, Image, Step

BASE = {
    "dockerfile": "d-base",
    "packages": ["python3"],
    "formulas": {},
    "wheels": "w1",
    "package": "p1",
    "files": {"entrypoint.py": "e1"},
    "base": "stacksalt/debian:bookworm@sha256:1",
}
ETCD = {
    "dockerfile": "d-etcd",
    "packages": ["etcd-server"],
    "formulas": {"etcd": {"etcd/server.sls": "s1", "etcd/files/etcd.default.jinja": "t1"}},
    "pillar": "pe",
}
MEMCACHED = {
    "dockerfile": "d-mc",
    "packages": ["memcached"],
    "formulas": {"memcached": {"memcached/server.sls": "m1"}},
    "pillar": "pm",
}
KEYSTONE = {
    "dockerfile": "d-ks",
    "packages": [],
    "formulas": {
        "keystone": {"keystone/server.sls": "k1"},
        "memcached": MEMCACHED["formulas"]["memcached"],
    },
    "pillar": "pk",
}


def images(**changes) -> list[Image]:
    """salt-base → etcd, memcached, keystone; ``changes`` replace inputs per image."""
    data = {"salt-base": BASE, "etcd": ETCD, "memcached": MEMCACHED, "keystone": KEYSTONE}
    out = []
    for name, inputs in data.items():
        merged = {**inputs, **changes.get(name.replace("-", "_"), {})}
        out.append(Image(name, None if name == "salt-base" else "salt-base", merged))
    return out


def built(imgs: list[Image]) -> tuple[set[str], dict]:
    """What a full build of ``imgs`` leaves behind: present tags and recorded inputs."""
    resolved = P.resolve(imgs)
    present = {f"{n}:{r['tag']}" for n, r in resolved.items()}
    return present, {n: r["inputs"] for n, r in resolved.items()}


def actions(steps: list[Step]) -> dict[str, str]:
    return {s.name: s.action for s in steps}


def test_tag_is_a_hash_of_inputs_and_parent_tag():
    a = P.resolve(images())
    b = P.resolve(images())
    assert a == b
    assert len(a["etcd"]["tag"]) == 12
    assert a["etcd"]["inputs"]["parent"] == f"salt-base:{a['salt-base']['tag']}"
    c = P.resolve(images(salt_base={"wheels": "w2"}))
    assert c["salt-base"]["tag"] != a["salt-base"]["tag"]
    assert c["etcd"]["tag"] != a["etcd"]["tag"]  # a new parent makes a new child


ETCD_TEMPLATE = {"etcd": {"etcd/server.sls": "s1", "etcd/files/etcd.default.jinja": "t2"}}


@pytest.mark.parametrize(
    ("case", "changes", "expected", "reasons"),
    [
        (
            "nothing changed",
            {},
            {
                "salt-base": UP_TO_DATE,
                "etcd": UP_TO_DATE,
                "memcached": UP_TO_DATE,
                "keystone": UP_TO_DATE,
            },
            {},
        ),
        (
            "one formula file",
            {"etcd": {"formulas": ETCD_TEMPLATE}},
            {
                "salt-base": UP_TO_DATE,
                "etcd": BUILD,
                "memcached": UP_TO_DATE,
                "keystone": UP_TO_DATE,
            },
            {"etcd": ("formula etcd: etcd/files/etcd.default.jinja changed",)},
        ),
        (
            "a formula two images apply",
            {
                "memcached": {"formulas": {"memcached": {"memcached/server.sls": "m2"}}},
                "keystone": {
                    "formulas": {
                        "keystone": {"keystone/server.sls": "k1"},
                        "memcached": {"memcached/server.sls": "m2"},
                    }
                },
            },
            {"salt-base": UP_TO_DATE, "etcd": UP_TO_DATE, "memcached": BUILD, "keystone": BUILD},
            {
                "memcached": ("formula memcached: memcached/server.sls changed",),
                "keystone": ("formula memcached: memcached/server.sls changed",),
            },
        ),
        (
            "a file added to a formula",
            {"etcd": {"formulas": {"etcd": {**ETCD["formulas"]["etcd"], "etcd/new.sls": "n"}}}},
            {
                "salt-base": UP_TO_DATE,
                "etcd": BUILD,
                "memcached": UP_TO_DATE,
                "keystone": UP_TO_DATE,
            },
            {"etcd": ("formula etcd: etcd/new.sls added",)},
        ),
        (
            "the base changed: all rebuild",
            {"salt_base": {"package": "p2"}},
            {"salt-base": BUILD, "etcd": BUILD, "memcached": BUILD, "keystone": BUILD},
            {
                "salt-base": ("stacksalt package changed",),
                "etcd": ("parent salt-base rebuilt",),
                "memcached": ("parent salt-base rebuilt",),
                "keystone": ("parent salt-base rebuilt",),
            },
        ),
        (
            "the external base image changed",
            {"salt_base": {"base": "stacksalt/debian:bookworm@sha256:2"}},
            {"salt-base": BUILD, "etcd": BUILD, "memcached": BUILD, "keystone": BUILD},
            {"salt-base": ("base image changed (stacksalt/debian:bookworm@sha256:2)",)},
        ),
        (
            "build pillar",
            {"memcached": {"pillar": "pm2"}},
            {
                "salt-base": UP_TO_DATE,
                "etcd": UP_TO_DATE,
                "memcached": BUILD,
                "keystone": UP_TO_DATE,
            },
            {"memcached": ("build pillar changed",)},
        ),
        (
            "packages (the Dockerfile changes with them: one reason)",
            {"etcd": {"packages": ["etcd-server", "etcd-client"], "dockerfile": "d2"}},
            {
                "salt-base": UP_TO_DATE,
                "etcd": BUILD,
                "memcached": UP_TO_DATE,
                "keystone": UP_TO_DATE,
            },
            {"etcd": ("packages changed (+etcd-client)",)},
        ),
        (
            "template or image settings",
            {"etcd": {"dockerfile": "d2"}},
            {
                "salt-base": UP_TO_DATE,
                "etcd": BUILD,
                "memcached": UP_TO_DATE,
                "keystone": UP_TO_DATE,
            },
            {"etcd": ("Dockerfile changed",)},
        ),
        (
            "wheel set",
            {"salt_base": {"wheels": "w2"}},
            {"salt-base": BUILD, "etcd": BUILD, "memcached": BUILD, "keystone": BUILD},
            {"salt-base": ("wheel set changed",)},
        ),
        (
            "the entrypoint",
            {"salt_base": {"files": {"entrypoint.py": "e2"}}},
            {"salt-base": BUILD, "etcd": BUILD, "memcached": BUILD, "keystone": BUILD},
            {"salt-base": ("file: entrypoint.py changed",)},
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_plan_against_the_last_build(case, changes, expected, reasons):
    present, recorded = built(images())
    steps = P.plan(images(**changes), present, recorded)
    assert actions(steps) == expected, case
    for name, why in reasons.items():
        assert next(s for s in steps if s.name == name).reasons == why


def test_first_build_and_missing_image():
    steps = P.plan(images(), set(), {})
    assert set(actions(steps).values()) == {BUILD}
    assert all(s.reasons == ("not built yet",) for s in steps)
    present, recorded = built(images())
    tag = P.resolve(images())["etcd"]["tag"]
    steps = P.plan(images(), present - {f"etcd:{tag}"}, recorded)
    assert actions(steps)["etcd"] == BUILD
    assert next(s for s in steps if s.name == "etcd").reasons == (
        "image missing (inputs unchanged)",
    )


def test_reverting_a_change_finds_the_old_image():
    """Exact rebuilds: the old inputs give the old tag, which still exists."""
    present, recorded = built(images())
    changed = images(etcd={"formulas": ETCD_TEMPLATE})
    p2, r2 = built(changed)
    steps = P.plan(images(), present | p2, r2)
    assert actions(steps)["etcd"] == UP_TO_DATE


@pytest.mark.parametrize(
    ("case", "since", "present_all", "expected", "etcd_reasons"),
    [
        (
            "changed since REF but already built here (same inputs, same tag)",
            {"etcd": {"etcd/server.sls"}},
            True,
            {
                "salt-base": UP_TO_DATE,
                "etcd": UP_TO_DATE,
                "memcached": UP_TO_DATE,
                "keystone": UP_TO_DATE,
            },
            (),
        ),
        (
            "one formula changed since REF, fresh machine",
            {"etcd": {"etcd/server.sls"}},
            False,
            {"salt-base": BUILD, "etcd": BUILD, "memcached": SKIP, "keystone": SKIP},
            ("formula etcd: etcd/server.sls changed since REF",),
        ),
        (
            "a file removed since REF",
            {"etcd": {"etcd/old.sls"}},
            False,
            {"salt-base": BUILD, "etcd": BUILD, "memcached": SKIP, "keystone": SKIP},
            ("formula etcd: etcd/old.sls removed since REF",),
        ),
        (
            "nothing changed since REF",
            {},
            False,
            {"salt-base": SKIP, "etcd": SKIP, "memcached": SKIP, "keystone": SKIP},
            ("unchanged since REF",),
        ),
        (
            "a formula of an image not in the set",
            {"nova": {"nova/api.sls"}},
            False,
            {"salt-base": SKIP, "etcd": SKIP, "memcached": SKIP, "keystone": SKIP},
            ("unchanged since REF",),
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_plan_since_a_git_ref(case, since, present_all, expected, etcd_reasons):
    present = built(images())[0] if present_all else set()
    steps = P.plan(images(), present, {}, since=since)
    assert actions(steps) == expected, case
    if etcd_reasons:
        assert next(s for s in steps if s.name == "etcd").reasons == etcd_reasons
    salt_base = next(s for s in steps if s.name == "salt-base")
    if expected["salt-base"] == BUILD:
        assert salt_base.reasons == ("missing locally, needed by etcd",)


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        (["formulas/etcd/etcd/server.sls"], {"etcd": {"etcd/server.sls"}}),
        (
            ["formulas/etcd/etcd/files/etcd.default.jinja", "formulas/etcd/tests/pillar/a.sls"],
            {"etcd": {"etcd/files/etcd.default.jinja"}},
        ),
        (["formulas/etcd/schema.yaml", "formulas/etcd/metadata/service/server/single.yml"], {}),
        (["README.md", "stacksalt/cli.py", "formulas/x"], {}),
    ],
)
def test_changed_formula_files(paths, expected):
    assert P.changed_formula_files(paths) == expected


def step(name, parent=None, action=BUILD):
    return Step(name, "t", action, ("why",), parent, {})


def test_run_builds_parents_first_and_in_parallel():
    lock = threading.Lock()
    order, active, peak = [], [0], [0]
    gate = threading.Barrier(2, timeout=5)

    def build_one(s):
        with lock:
            order.append(s.name)
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        if s.name in ("a", "b"):
            gate.wait()  # both children run at the same time, or this times out
        with lock:
            active[0] -= 1

    steps = [step("base"), step("a", "base"), step("b", "base")]
    lines = []
    results = P.run(steps, build_one, workers=2, log=lines.append)
    assert order[0] == "base"
    assert peak[0] == 2
    assert [r.status for r in results] == ["built", "built", "built"]
    assert any(line.startswith("[1/3] building base:t") for line in lines)
    assert sum("built" in line for line in lines) == 3


def test_run_failed_parent_marks_children_not_built():
    def build_one(s):
        if s.name == "base":
            raise RuntimeError("apt-get failed")

    steps = [
        step("base"),
        step("a", "base"),
        step("a1", "a"),
        step("other-base"),
        step("c", "other-base"),
        step("d", "x", UP_TO_DATE),
    ]
    results = {r.name: r for r in P.run(steps, build_one, workers=2, log=lambda _m: None)}
    assert results["base"].status == "failed"
    assert "apt-get failed" in results["base"].detail
    assert results["a"].status == "not built"
    assert results["a"].detail == "parent base failed"
    assert results["a1"].status == "not built"
    assert results["other-base"].status == "built"
    assert results["c"].status == "built"
    assert results["d"].status == UP_TO_DATE


def test_run_with_nothing_to_build():
    steps = [step("base", action=UP_TO_DATE), step("a", "base", SKIP)]
    results = P.run(steps, lambda s: None, workers=4, log=lambda _m: None)
    assert [r.status for r in results] == [UP_TO_DATE, SKIP]
