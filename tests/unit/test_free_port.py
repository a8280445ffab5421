import socket

from tests.processes import _ephemeral, free_port


def test_service_ports_are_distinct_free_and_never_ones_an_outgoing_connection_could_take() -> None:
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == 50
    assert not any(port in _ephemeral() for port in ports)
    for port in ports[:5]:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))
