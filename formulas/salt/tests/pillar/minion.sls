salt:
  minion:
    enabled: true
    master:
      host: 10.0.0.10
      port: 4506
    log_level: info
