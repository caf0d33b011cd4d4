import pytest


@pytest.mark.parametrize("who", ["helpdesk", "alice", "outsider"])
def test_admin_answers_403_to_a_signed_in_user_without_the_right(cast, client_for, who):
    client = client_for(getattr(cast, who))
    for path in ("/admin/", "/admin/onboarding/", "/admin/auth/user/"):
        response = client.get(path)
        assert response.status_code == 403, (path, response.status_code)


def test_admin_still_opens_for_an_operator(cast, client_for):
    assert client_for(cast.operator).get("/admin/").status_code == 200


def test_admin_sends_an_anonymous_visitor_to_sign_in(client, db):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/login" in response["Location"]
