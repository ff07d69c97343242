salt:
  master:
    enabled: true
    worker_threads: 2
    file_roots: [/srv/salt/formulas/linux, /srv/salt/formulas/salt]
    reclass:
      storage_type: yaml_fs
      inventory_base_uri: /srv/salt/reclass
