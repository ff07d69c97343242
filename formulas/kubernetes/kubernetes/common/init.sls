include:
  - kubernetes.common.binaries
  - kubernetes.common.pki
