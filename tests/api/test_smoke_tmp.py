from tests.api.conftest import bearer, make_token


def test_smoke(api_world, client):
    a = api_world["a"]
    token = make_token(a)
    for url in ["/api/v1/me", "/api/v1/organizations/alpha/members", "/api/v1/organizations/alpha/invitations",
                "/api/v1/organizations/alpha/documents", "/api/v1/organizations/alpha/announcements",
                "/api/v1/organizations/alpha/audit-log", "/api/v1/organizations/bravo/members", "/api/v1/nope",
                "/api/v1/openapi.json", "/api/v1/content/pages/", "/api/v1/content/images/", "/api/v1/content/documents/"]:
        r = client.get(url, **bearer(token))
        print(url, r.status_code, r.content[:300])
    r = client.post("/api/v1/me", **bearer(token))
    print("POST me", r.status_code, r.content[:300])
    doc = api_world["documents"]["a"]
    r = client.get(f"/api/v1/organizations/alpha/documents/{doc.public_id}/download", **bearer(token))
    print("download", r.status_code, r.headers)
    assert 0
