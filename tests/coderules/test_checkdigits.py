import random

import pytest

from coderules.checkdigits import (
    insurer_number_valid,
    mhlw_check_digit,
    municipality_code_valid,
    mynumber_digit_tables,
    mynumber_digits_valid,
    mynumber_valid,
    recipient_digit_tables,
    recipient_digits_valid,
    recipient_number_valid,
)


@pytest.mark.parametrize("number", ["123456789018", "987654321093", "111111111118"])
def test_mynumber_examples_of_spec_are_valid(number):
    assert mynumber_valid(number)
    assert mynumber_digits_valid(number)


@pytest.mark.parametrize(
    "number", ["123456789012", "12345678901", "1234567890181", "１２３４５６７８９０１８", ""]
)
def test_mynumber_invalid(number):
    assert not mynumber_valid(number)


def test_mhlw_examples_of_spec():
    assert mhlw_check_digit("5413701") == 3
    assert insurer_number_valid("54137013")
    assert not insurer_number_valid("54137014")
    assert mhlw_check_digit("123456") == 6
    assert recipient_number_valid("1234566")
    assert not recipient_number_valid("1234567")
    assert not recipient_number_valid("234566")


@pytest.mark.parametrize("code", ["131016", "999997", "123455", "011002"])
def test_municipality_examples(code):
    assert municipality_code_valid(code)


@pytest.mark.parametrize("code", ["131017", "13101", "1310166", "abcdef", "１３１０１６"])
def test_municipality_invalid(code):
    assert not municipality_code_valid(code)


def test_table_versions_agree_with_the_plain_ones():
    rng = random.Random(3)
    for _ in range(20_000):
        number = f"{rng.randrange(10**12):012d}"
        assert mynumber_digits_valid(number) == mynumber_valid(number)
        a, b, c, digit = mynumber_digit_tables()
        inlined = digit[(a[number[:4]] + b[number[4:8]] + c[number[8:11]]) % 11] == number[11]
        assert inlined == mynumber_valid(number)
        recipient = f"{rng.randrange(10**7):07d}"
        assert recipient_digits_valid(recipient) == recipient_number_valid(recipient)
        ra, rb, rdigit = recipient_digit_tables()
        inlined = rdigit[(ra[recipient[:3]] + rb[recipient[3:6]]) % 10] == recipient[6]
        assert inlined == recipient_number_valid(recipient)
