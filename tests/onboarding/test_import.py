import pytest
from django.core.management import call_command

from onboarding.models import Municipality

pytestmark = pytest.mark.django_db

CSV = (
    "code,prefecture,city,prefecture_kana,city_kana\n"
    "130001,東京都,,ﾄｳｷｮｳﾄ,\n"
    "131016,東京都,千代田区,ﾄｳｷｮｳﾄ,ﾁﾖﾀﾞｸ\n"
    "131017,東京都,誤り区,ﾄｳｷｮｳﾄ,ｱﾔﾏﾘｸ\n"
    "011002,北海道,札幌市,ﾎｯｶｲﾄﾞｳ,ｻｯﾎﾟﾛｼ\n"
)


def test_import_creates_rejects_bad_check_digit_with_line_and_exits_1(tmp_path, capsys):
    path = tmp_path / "codes.csv"
    path.write_bytes(CSV.encode("cp932"))
    with pytest.raises(SystemExit) as exit_:
        call_command("import_municipalities", str(path))
    assert exit_.value.code == 1
    out, err = capsys.readouterr()
    assert "4行目" in err and "131017" in err
    assert "created 3" in out and "rejected 1" in out
    chiyoda = Municipality.objects.get(code="131016")
    assert chiyoda.city_kana == "チヨダク"
    assert Municipality.objects.get(code="130001").name == "東京都"


def test_import_is_idempotent_and_updates(tmp_path, capsys):
    path = tmp_path / "codes.csv"
    good = "\n".join(line for line in CSV.splitlines() if "131017" not in line) + "\n"
    path.write_text(good, encoding="utf-8-sig")
    call_command("import_municipalities", str(path))
    call_command("import_municipalities", str(path))
    out = capsys.readouterr().out.strip().splitlines()[-1]
    assert out == "created 0, updated 0, unchanged 3, rejected 0"
    path.write_text(good.replace("千代田区", "千代田区役所"), encoding="utf-8")
    call_command("import_municipalities", str(path))
    assert "updated 1" in capsys.readouterr().out
    assert Municipality.objects.count() == 3
