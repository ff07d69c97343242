"""Galera cluster logic as pure Python.

- :mod:`stacksalt.galera.facts` parses what a node knows about its own data
  (``grastate.dat``, ``mariadbd --wsrep-recover`` output, ``SHOW STATUS LIKE 'wsrep%'``).
- :mod:`stacksalt.galera.decision` decides what a node does (bootstrap, join, wait, recover,
  fence) from those facts plus the cluster state held in etcd.
- :mod:`stacksalt.galera.checker` implements the readiness and liveness rules.

Nothing here touches files, sockets or processes; the Salt module ``galera_cluster`` gathers
the facts and calls these functions.
"""
