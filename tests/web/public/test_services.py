"""Public SOP pages: every open service, its limit in words, steps, documents and contact."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tracker.db import Database
from tracker.models import Service


def test_the_list_groups_services_by_office_and_section(client: FlaskClient) -> None:
    html = client.get("/services").get_data(as_text=True)
    sanmin, yanchao = html.index("高雄市三民區公所"), html.index("高雄市燕巢區公所")
    social, civil = html.index("社會課"), html.index("民政課")
    assert sanmin < social < civil < yanchao
    assert html.index("五工作天案件") < civil < html.index("十四日曆天案件") < yanchao
    assert html.index("一個月案件") > yanchao
    for code in ("five-wd", "fourteen-d", "one-month", "four-hours", "petition"):
        assert f'href="/services/{code}"' in html


def test_limits_are_given_in_words_in_both_languages(client: FlaskClient) -> None:
    zh = client.get("/services").get_data(as_text=True)
    assert "5 個工作天" in zh and "14 日（日曆天）" in zh and "1 個月" in zh and "4 小時" in zh
    en = client.get("/services", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "5 working days" in en and "14 calendar days" in en
    assert "1 month" in en and "1 months" not in en and "4 hours" in en


def test_a_service_page_shows_its_sop(client: FlaskClient) -> None:
    html = client.get("/services/five-wd").get_data(as_text=True)
    assert "五工作天案件" in html and "5 個工作天" in html
    # The steps as a flow, in order, and the documents to bring.
    assert html.index("收件") < html.index("審核") < html.index("核定")
    assert html.count("flow__step") >= 3
    assert "申請書" in html
    assert "07-311-0000" in html
    assert "補正期間停止計算處理期限" in html  # clock: pause
    restart = client.get("/services/five-wd-restart").get_data(as_text=True)
    assert "補齊後處理期限重新起算" in restart


def test_the_faq_and_legal_basis_are_shown_when_the_catalogue_has_them(
    app: Flask, client: FlaskClient
) -> None:
    database: Database = app.extensions["database"]
    with database.transaction() as session:
        service = session.scalar(select(Service).where(Service.code == "five-wd"))
        assert service is not None and service.current_version is not None
        service.current_version.faq = [
            {
                "q": {"zh-TW": "可以委託他人辦理嗎？", "en": "May someone apply for me?"},
                "a": {"zh-TW": "可以，請附委託書。", "en": "Yes, with a letter of authorisation."},
            }
        ]
        service.current_version.legal_basis = {"zh-TW": "社會救助法", "en": "Public Assistance Act"}
    html = client.get("/services/five-wd", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Questions and answers" in html
    assert "May someone apply for me?" in html and "Yes, with a letter of authorisation." in html
    assert "Public Assistance Act" in html


def test_unknown_and_closed_services_are_not_found(app: Flask, client: FlaskClient) -> None:
    assert client.get("/services/no-such-service").status_code == 404
    database: Database = app.extensions["database"]
    with database.transaction() as session:
        service = session.scalar(select(Service).where(Service.code == "petition"))
        assert service is not None
        service.active = False
    assert client.get("/services/petition").status_code == 404
    assert 'href="/services/petition"' not in client.get("/services").get_data(as_text=True)
