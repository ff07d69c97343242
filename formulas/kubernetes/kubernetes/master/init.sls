include:
  - kubernetes.master.pki
  - kubernetes.master.calico_etcd
  - kubernetes.master.loadbalancer
  - kubernetes.master.services
