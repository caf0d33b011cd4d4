import io
import logging

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_output():
    """What the configured console handler writes, with its filters applied."""
    (handler,) = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def test_a_refused_page_is_logged_on_one_line(cast, client_for, log_output):
    response = client_for(cast.bob).get("/audit/")
    assert response.status_code == 403
    lines = log_output.getvalue().splitlines()
    assert len(lines) == 1, lines
    assert "Forbidden" in lines[0] and "/audit/" in lines[0]


def test_a_server_error_keeps_its_traceback(log_output):
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        logging.getLogger("django.request").error(
            "Internal Server Error: /x", exc_info=exc, extra={"status_code": 500}
        )
    assert "Traceback" in log_output.getvalue() and "RuntimeError: boom" in log_output.getvalue()
