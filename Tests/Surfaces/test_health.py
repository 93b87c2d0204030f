"""The smallest surface test: a real server answers /health without a token and refuses the rest without one."""


def test_health_needs_no_token_and_protos_do(serve):
    server = serve()
    assert server.request("GET", "/health", token=False)[0] == 200
    status, body = server.request("GET", "/protos", token=False)
    assert status == 401
    assert body["code"] == "unauthorized" and "token" in body["error"]
    status, protos = server.request("GET", "/protos")
    assert status == 200
    assert {"ALFRED", "BRICK", "ROBIN", "BABS"} <= {p["name"] for p in protos}
