"""The interface is Chinese by default and English on request, and the Chinese catalogue is complete:
every entry translated, reviewed (not fuzzy) and keeping its placeholders."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from zhufang.accounts.models import DataScope
from zhufang.conftest import Demo
from zhufang.org.models import OrgKind

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

PO_FILE = Path(settings.LOCALE_PATHS[0]) / "zh_Hans" / "LC_MESSAGES" / "django.po"

# %(name)s, %(n)d … and positional %s, %d; "%%" is a literal percent sign.
PLACEHOLDER = re.compile(r"%(?:\((?P<name>[^)]+)\))?[#0 +-]*(?:\d+|\*)?(?:\.\d+)?(?P<conv>[diouxXeEfFgGcrsa%])")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str = ""
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0


def _unquote(text: str) -> str:
    assert text.startswith('"') and text.endswith('"'), text
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes[m.group(1)], text[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """A small .po reader: enough for Django's catalogues (no obsolete ``#~`` entries are kept)."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#"):
            if entry is not None and entry.msgstr:  # a comment after msgstr starts the next entry
                entries.append(entry)
                entry = None
            entry = entry or Entry(line=number)
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            assert entry is not None and target is not None, f"{path}:{number}: stray string"
            keyword, rest = "", line
        elif keyword in ("msgctxt", "msgid") and entry is not None and entry.msgstr:
            entries.append(entry)
            entry = None
        if keyword:
            entry = entry or Entry(line=number)
            match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            if match:
                target = ("msgstr", int(match.group(1)))
            elif keyword in ("msgctxt", "msgid", "msgid_plural", "msgstr"):
                target = (keyword, 0)
            else:
                raise AssertionError(f"{path}:{number}: unexpected {keyword!r}")
        assert entry is not None and target is not None
        text = _unquote(rest)
        name, index = target
        if name == "msgstr":
            entry.msgstr[index] = entry.msgstr.get(index, "") + text
        elif name == "msgctxt":
            entry.msgctxt = (entry.msgctxt or "") + text
        else:
            setattr(entry, name, getattr(entry, name) + text)
    if entry is not None:
        entries.append(entry)
    return entries


def placeholders(text: str, *, positional: bool) -> Counter[str]:
    found: Counter[str] = Counter()
    for match in PLACEHOLDER.finditer(text):
        if match.group("conv") == "%":
            continue
        if match.group("name") is not None:
            found[f"%({match.group('name')}){match.group('conv')}"] += 1
        elif positional:
            found[f"%{match.group('conv')}"] += 1
    return found


@pytest.fixture(scope="module")
def catalogue() -> list[Entry]:
    return parse_po(PO_FILE)


def test_login_page_is_chinese_by_default() -> None:
    response = Client().get("/login/")
    assert response.status_code == 200
    content = response.content.decode()
    assert 'lang="zh-hans"' in content
    assert "警号" in content and "密码" in content and "登录" in content
    assert "Police number" not in content


def test_login_page_in_english_by_cookie() -> None:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    content = client.get("/login/").content.decode()
    assert 'lang="en"' in content
    assert "Police number" in content and "Password" in content
    assert "警号" not in content


def test_org_page_labels_are_chinese(demo: Demo) -> None:
    response = demo.client_for("centre_operator").get("/org/")
    assert response.status_code == 200
    content = response.content.decode()
    assert 'lang="zh-hans"' in content
    assert "派出所" in content and "警务区" in content
    assert "组织机构与辖区图" in content  # menu item and page title


def test_python_strings_use_the_catalogue() -> None:
    with translation.override("zh-hans"):
        assert str(OrgKind.STATION.label) == "派出所"
        assert str(OrgKind.DISTRICT.label) == "警务区"
        assert str(OrgKind.CENTRE.label) == "基础管控中心"
        assert str(DataScope.UNIT_AND_BELOW.label) == "本单位及以下"
        assert translation.gettext("Wrong police number or password.") == "警号或密码错误。"
    with translation.override("en"):
        assert str(OrgKind.STATION.label) == "Police station"


def test_catalogue_header(catalogue: list[Entry]) -> None:
    header = next(e for e in catalogue if e.msgid == "" and e.msgctxt is None)
    assert "fuzzy" not in header.flags
    text = header.msgstr[0]
    assert "Language: zh_Hans\n" in text
    assert "Content-Type: text/plain; charset=UTF-8\n" in text
    assert "Plural-Forms: nplurals=1; plural=0;\n" in text


def test_catalogue_is_complete_and_reviewed(catalogue: list[Entry]) -> None:
    entries = [e for e in catalogue if e.msgid]
    assert len(entries) > 200
    fuzzy = [f"{PO_FILE.name}:{e.line} {e.msgid!r}" for e in entries if "fuzzy" in e.flags]
    untranslated = [
        f"{PO_FILE.name}:{e.line} {e.msgid!r}"
        for e in entries
        if not e.msgstr or not all(s.strip() for s in e.msgstr.values())
    ]
    assert not fuzzy, "fuzzy entries are ignored at runtime:\n" + "\n".join(fuzzy)
    assert not untranslated, "untranslated entries:\n" + "\n".join(untranslated)


def test_translations_keep_their_placeholders(catalogue: list[Entry]) -> None:
    wrong = []
    for e in catalogue:
        if not e.msgid:
            continue
        positional = "python-format" in e.flags
        sources = placeholders(e.msgid, positional=positional)
        sources |= placeholders(e.msgid_plural, positional=positional)
        for index, text in e.msgstr.items():
            if placeholders(text, positional=positional) != sources:
                wrong.append(f"{PO_FILE.name}:{e.line} msgstr[{index}] {e.msgid!r} → {text!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)
