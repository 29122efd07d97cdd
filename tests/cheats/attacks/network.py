# Attack "network": connect to a listener the test opened on the host's loopback and send it bytes.
import socket as _socket

try:
    with _socket.create_connection(("127.0.0.1", PORT), timeout=3) as _conn:  # noqa: F821 - from the preamble
        _conn.sendall(MARKER.encode())  # noqa: F821
    print("network: connected")
except OSError as _err:
    print(f"network: {type(_err).__name__}: {_err}")
