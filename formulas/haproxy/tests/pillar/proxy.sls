haproxy:
  proxy:
    enabled: true
    stats:
      enabled: true
      port: 9000
    listen:
      galera:
        mode: tcp
        binds:
          - {address: 10.0.0.10, port: 3306}
        options: [tcpka, "httpchk GET /"]
        servers:
          - {name: ctl01, host: 10.0.0.11, port: 3306, params: "check port 9200"}
          - {name: ctl02, host: 10.0.0.12, port: 3306, params: "check port 9200", backup: true}
      keystone:
        mode: http
        balance: roundrobin
        binds:
          - {address: 10.0.0.10, port: 5000}
        servers:
          - {name: ctl01, host: 10.0.0.11, port: 5000, params: check}
