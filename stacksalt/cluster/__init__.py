"""Test clusters of "bare-metal hosts": systemd containers driven by a real salt-master."""
