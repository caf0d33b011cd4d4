"""Upload errors answer in Japanese sentences, never a bare status number."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _files(n):
    return [SimpleUploadedFile(f"f{i}.csv", b"a,b\n", content_type="text/csv") for i in range(n)]


def test_more_files_than_the_limit_are_refused_with_a_sentence(cast, client_for, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    client = client_for(cast.alice)
    url = reverse("intake:upload", args=[cast.integration_a.pk])
    answer = client.post(url, {"files": _files(4)}, HTTP_ACCEPT="application/json")
    assert answer.status_code == 400
    assert answer.json()["errors"] == [
        "一度に送信できるファイルは 3 件までです。3 件以下に分けて送信してください。"
    ]
    page = client.post(url, {"files": _files(4)})
    assert page.status_code == 400 and "送り直してください" in page.content.decode()
    assert not cast.integration_a.submissions.exists()


def test_an_upload_after_the_session_ended_says_sign_in_again(cast, client, settings):
    url = reverse("intake:upload", args=[cast.integration_a.pk])
    answer = client.post(url, {"files": _files(1)}, HTTP_ACCEPT="application/json")
    assert answer.status_code == 401
    assert "もう一度サインイン" in answer.json()["errors"][0]
    assert answer.json()["login_url"] == reverse("login")
    assert client.post(url, {"files": _files(1)}).status_code == 302  # a plain form still goes


def test_the_upload_form_carries_its_checks_and_sentences_for_the_browser(cast, client_for):
    page = client_for(cast.alice).get(cast.integration_a.get_absolute_url()).content.decode()
    assert 'data-max-files="50"' in page
    assert "一度に送信できるファイルは 50 件までです" in page
    assert "アップロードするファイルを1つ以上選んでください" in page
    assert "サインアウトされました" in page
