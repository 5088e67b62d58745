"""Fake people as devices identify them: Ordos resident ID numbers, Chinese and Mongolian names, card numbers.

Everything is a pure function of an integer (hashed with splitmix64), so a community's residents or a
school's pupils are the same people on every run, and no state is kept for millions of them. The numbers
look real (region codes of Ordos, 1506xx; a valid birth date; the ISO 7064 MOD 11-2 check digit) but are
drawn at random: they belong to nobody.

Background people always get a sequence code (顺序码) below ``RESERVED_SEQUENCE``; the people that scenarios
put on watch lists get one at or above it, so a background person can never be a watched one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# Region codes of Ordos's districts and banners (GB/T 2260).
ORDOS_REGION_CODES: tuple[str, ...] = (
    "150602",  # Dongsheng 东胜区
    "150603",  # Kangbashi 康巴什区
    "150621",  # Dalad 达拉特旗
    "150622",  # Jungar 准格尔旗
    "150623",  # Otog Front 鄂托克前旗
    "150624",  # Otog 鄂托克旗
    "150625",  # Hanggin 杭锦旗
    "150626",  # Uxin 乌审旗
    "150627",  # Ejin Horo 伊金霍洛旗
)
_CHECK_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
RESERVED_SEQUENCE = 990  # sequence codes 990-999: scenario people only

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾田董袁潘于蒋蔡余"
    "杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏付方白邹孟熊秦邱江尹薛闫段雷侯龙史"
    "陶贺顾毛郝龚邵万钱武戴孔汤"
)
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞宇浩然欣怡梓涵子轩雨"
    "婷俊博文瑞佳琪晨阳建国海燕志强春梅"
)
# Ordos is home to many Mongols; their names are usually written without a Chinese surname.
_MONGOLIAN_NAMES = (
    "巴特尔", "其其格", "乌云", "额尔敦", "斯琴", "乌兰", "那日苏", "阿拉坦", "苏和", "格日勒",
    "巴图", "萨仁", "图雅", "朝鲁", "宝音", "哈斯", "敖登", "布和", "达来", "孟和",
)  # fmt: skip

_MASK64 = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class Person:
    """What an ID card reader learns about someone: the 18-character ID number and the name."""

    id_number: str
    name: str


def mix64(value: int) -> int:
    """splitmix64: a well-spread 64-bit hash of an integer (stable across processes, unlike ``hash``)."""
    z = (value + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def check_digit(body: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits of a resident ID number."""
    total = sum(int(digit) * weight for digit, weight in zip(body, _CHECK_WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def is_valid_id_number(id_number: str) -> bool:
    if len(id_number) != 18 or not id_number[:17].isdigit():
        return False
    return id_number[17] == check_digit(id_number[:17])


def id_number(number: int, born_from: int = 1950, born_to: int = 2005, reserved: bool = False) -> str:
    """A resident ID number for person ``number``, born in [born_from, born_to)."""
    h = mix64(number)
    region = ORDOS_REGION_CODES[h % len(ORDOS_REGION_CODES)]
    first = date(born_from, 1, 1).toordinal()
    span = date(born_to, 1, 1).toordinal() - first
    birth = date.fromordinal(first + (h >> 8) % span)
    if reserved:
        sequence = RESERVED_SEQUENCE + (h >> 32) % (1000 - RESERVED_SEQUENCE)
    else:
        sequence = (h >> 32) % RESERVED_SEQUENCE
    body = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return body + check_digit(body)


def name(number: int) -> str:
    h = mix64(number ^ 0x5EED)
    if h % 10 == 0:
        return _MONGOLIAN_NAMES[(h >> 8) % len(_MONGOLIAN_NAMES)]
    given = _GIVEN[(h >> 16) % len(_GIVEN)]
    if (h >> 40) % 3:  # two-character given names are the more common
        given += _GIVEN[(h >> 24) % len(_GIVEN)]
    return _SURNAMES[(h >> 8) % len(_SURNAMES)] + given


def person(number: int, born_from: int = 1950, born_to: int = 2005) -> Person:
    """Background person ``number``: never one of the reserved (scenario) people."""
    return Person(id_number(number, born_from, born_to), name(number))


def reserved_person(number: int) -> Person:
    """A scenario's person: a sequence code no background person has."""
    return Person(id_number(number, 1965, 2000, reserved=True), name(number))


def card_number(number: int, prefix: str = "C") -> str:
    """An access card or badge number (matches the contracts' ``[A-Z0-9]{6,20}`` form)."""
    return f"{prefix}{mix64(number) % 10**10:010d}"


def face_template_id(number: int) -> str:
    """The id a face-recognition system gives a captured face's template."""
    return f"FT{mix64(number):016X}"
