"""The loopback exchange simulator: real exchanges' wire protocols on 127.0.0.1.

    engine/        pure venues: books, fills, fees, rules, accounts, transfers, price paths
    binance/       the Binance spot protocol (REST, market streams, WebSocket API)
    okx/           the OKX v5 protocol
    frontend.py    the protocol registry and the shape of a front-end
    faults.py      faults injected per endpoint
    config.py      the TOML config;  build.py  the engine built from it
    control.py     the control plane in Python;  control_http.py  the same over HTTP
    server.py      ``SimulatorServer``: every venue on its own port, plus the control plane

Unmodified ccxt trades against it; see docs/exchange-sim.md.
"""
