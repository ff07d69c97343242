"""The Rally task the integration test and 'make bench-rally' share."""

from __future__ import annotations

from stacksalt.openstack.rally import boot_and_delete_task


def test_the_integration_tests_task():
    assert boot_and_delete_task(30, 5, max_failure_rate=0) == {
        "NovaServers.boot_and_delete_server": [
            {
                "args": {"flavor": {"name": "m1.tiny"}, "image": {"name": "cirros-test"}},
                "runner": {"type": "constant", "times": 30, "concurrency": 5},
                "context": {
                    "users": {"tenants": 1, "users_per_tenant": 1},
                    "network": {"start_cidr": "10.2.0.0/16"},
                },
                "sla": {"failure_rate": {"max": 0}},
            }
        ]
    }


def test_the_seeds_task_with_unlimited_quotas():
    (case,) = boot_and_delete_task(1000, 50, 3, 2, unlimited_quotas=True)[
        "NovaServers.boot_and_delete_server"
    ]
    assert case["runner"] == {"type": "constant", "times": 1000, "concurrency": 50}
    assert case["context"]["users"] == {"tenants": 3, "users_per_tenant": 2}
    assert case["context"]["quotas"]["nova"] == {"instances": -1, "cores": -1, "ram": -1}
    assert case["context"]["quotas"]["neutron"]["port"] == -1
    assert "sla" not in case


def test_rally_conf_defaults_and_polling():
    from pathlib import Path

    from stacksalt.openstack.rally import rally_conf

    plain = rally_conf(Path("/w/r.sqlite"), None, None)
    assert plain == "[database]\nconnection = sqlite:////w/r.sqlite\n"
    tuned = rally_conf(Path("/w/r.sqlite"), 5.0, 1800.0)
    assert "[openstack]\n" in tuned
    for line in (
        "nova_server_boot_poll_interval = 5",
        "nova_server_delete_poll_interval = 5",
        "nova_server_boot_timeout = 1800",
        "nova_server_delete_timeout = 1800",
    ):
        assert line in tuned.splitlines()
