include:
  - kubernetes.pool.pki
  - kubernetes.pool.services
