{#- Every problem of the pillar, reported before anything changes: the other states of the
    formula require this one. It reads the pillar itself, so the cookie and the passwords
    stay out of the state's arguments. #}

rabbitmq-server-pillar-validated:
  rabbitmq_cluster.config_valid:
    - pillar_key: "rabbitmq:server"
