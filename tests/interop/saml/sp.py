#!/usr/bin/env python3
"""pysaml2 as the SAML SP in front of a running Federa (issue 5 item 4).

Creates a user and a SAML app in Federa through the admin API, signs the user in through the
server-rendered pages (cookies, CSRF) with `requests`, and hands each SAML Response Federa posts
to pysaml2's `Saml2Client.parse_authn_request_response`, which checks the XML signature with
xmlsec1 against Federa's published metadata, the Destination, the Audience, InResponseTo and the
validity window. Cases: SP-initiated over HTTP-Redirect and HTTP-POST, IdP-initiated, and a
tampered response that must be refused. Prints `saml-interop: N passed, M failed`.

Usage: sp.py --base http://localhost:PORT --token ADMIN_TOKEN
"""

import argparse
import base64
import html
import re
import sys
import traceback
import urllib.parse

import requests
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig

PASSWORD = "correct horse battery"
SP_ENTITY = "https://pysaml2-sp.example/metadata"
ACS = "http://127.0.0.1:9/pysaml2/acs"
PPT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"


class Federa:
    def __init__(self, base, token):
        self.base = base.rstrip("/")
        self.admin = requests.Session()
        self.admin.headers["Authorization"] = "SSWS " + token

    def api(self, method, path, body=None):
        r = self.admin.request(method, self.base + path, json=body, timeout=10)
        if r.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {r.status_code} {r.text}")
        return r.json() if r.text else None


def browser():
    s = requests.Session()
    return s


def get(s, url):
    return s.get(url, allow_redirects=False, timeout=10)


def absolute(base, location):
    return location if location.startswith("http") else base + location


def csrf(page):
    m = re.search(r'name="csrf" value="([^"]+)"', page)
    if not m:
        raise AssertionError("no CSRF field on the page")
    return m.group(1)


def sign_in(fed, s, login):
    """Completes the sign-in pages (identifier, then password); returns the final redirect."""
    page = get(s, fed.base + "/login").text
    token = csrf(page)
    r = s.post(fed.base + "/login/identify", data={"csrf": token, "username": login},
               allow_redirects=False, timeout=10)
    assert r.status_code == 303, r.status_code
    r = s.post(fed.base + "/login/password", data={"csrf": token, "password": PASSWORD},
               allow_redirects=False, timeout=10)
    assert r.status_code == 303, (r.status_code, r.text[:300])
    return r.headers["Location"]


def follow_to_form(fed, s, r, login):
    """From an SSO answer, signs in if asked and returns (action, SAMLResponse, RelayState)."""
    for _ in range(6):
        if r.status_code == 200:
            break
        assert r.status_code == 303, (r.status_code, r.text[:300])
        loc = r.headers["Location"]
        if loc == "/login":
            loc = sign_in(fed, s, login)
        r = get(s, absolute(fed.base, loc))
    assert r.status_code == 200, r.status_code
    page = r.text
    action = html.unescape(re.search(r'<form[^>]*action="([^"]+)"', page).group(1))
    resp = html.unescape(re.search(r'name="SAMLResponse" value="([^"]+)"', page).group(1))
    m = re.search(r'name="RelayState" value="([^"]*)"', page)
    return action, resp, html.unescape(m.group(1)) if m else None


def sp_client(idp_metadata_xml):
    conf = SPConfig()
    conf.load({
        "entityid": SP_ENTITY,
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "allow_unknown_attributes": True,
        "accepted_time_diff": 60,
        "metadata": {"inline": [idp_metadata_xml]},
        "service": {
            "sp": {
                "endpoints": {"assertion_consumer_service": [(ACS, BINDING_HTTP_POST)]},
                "allow_unsolicited": True,
                "authn_requests_signed": False,
                "want_assertions_signed": True,
                "want_response_signed": True,
            }
        },
    })
    return Saml2Client(config=conf)


def check_assertion(resp, login, in_response_to=None):
    assert resp is not None, "pysaml2 returned no response"
    assert resp.name_id.text == login, resp.name_id.text
    if in_response_to is not None:
        assert resp.in_response_to == in_response_to, (resp.in_response_to, in_response_to)
    refs = [ac.authn_context_class_ref.text for st in resp.assertion.authn_statement
            for ac in [st.authn_context]]
    assert refs == [PPT], refs
    ava = resp.get_identity()
    assert ava.get("session.amr") == ["pwd"], ava
    assert ava.get("firstName") == ["Grace"], ava


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--token", required=True)
    args = ap.parse_args()
    fed = Federa(args.base, args.token)
    login = "interop@localhost.test"
    fed.api("POST", "/api/v1/users?activate=true", {
        "profile": {"login": login, "email": login, "firstName": "Grace", "lastName": "Hopper"},
        "credentials": {"password": {"value": PASSWORD}},
    })
    app = fed.api("POST", "/api/v1/apps", {
        "name": "pysaml2_sp", "label": "pysaml2 SP", "signOnMode": "SAML_2_0",
        "settings": {"signOn": {
            "ssoAcsUrl": ACS, "audience": SP_ENTITY,
            "subjectNameIdTemplate": "${user.login}",
            "subjectNameIdFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
            "includeSessionAmr": True,
            "attributeStatements": [
                {"type": "EXPRESSION", "name": "firstName", "values": ["${user.firstName}"]},
            ],
        }},
    })
    app_id, app_name = app["id"], app["name"]
    md = requests.get(f"{fed.base}/app/{app_id}/sso/saml/metadata", timeout=10).text
    idp_entity = re.search(r'entityID="([^"]+)"', md).group(1)
    client = sp_client(md)

    results = []

    def case(name, fn):
        try:
            fn()
            results.append((name, True))
            print(f"ok   - {name}")
        except Exception:  # noqa: BLE001 - report and go on
            results.append((name, False))
            print(f"FAIL - {name}")
            traceback.print_exc()

    def sp_initiated_redirect():
        s = browser()
        reqid, info = client.prepare_for_authenticate(
            entityid=idp_entity, relay_state="rs-redirect", binding=BINDING_HTTP_REDIRECT)
        url = dict(info["headers"])["Location"]
        action, saml_response, relay = follow_to_form(fed, s, get(s, url), login)
        assert action == ACS, action
        assert relay == "rs-redirect", relay
        resp = client.parse_authn_request_response(
            saml_response, BINDING_HTTP_POST, outstanding={reqid: "/"})
        check_assertion(resp, login, reqid)

    def sp_initiated_post():
        s = browser()
        sso = f"{fed.base}/app/{app_name}/{app_id}/sso/saml"
        reqid, request = client.create_authn_request(sso, binding=BINDING_HTTP_POST)
        encoded = base64.b64encode(str(request).encode()).decode()
        r = s.post(sso, data={"SAMLRequest": encoded, "RelayState": "rs-post"},
                   allow_redirects=False, timeout=10)
        action, saml_response, relay = follow_to_form(fed, s, r, login)
        assert relay == "rs-post", relay
        resp = client.parse_authn_request_response(
            saml_response, BINDING_HTTP_POST, outstanding={reqid: "/"})
        check_assertion(resp, login, reqid)

    def idp_initiated():
        s = browser()
        sso = f"{fed.base}/app/{app_name}/{app_id}/sso/saml?RelayState=" + urllib.parse.quote("/x?y=1")
        action, saml_response, relay = follow_to_form(fed, s, get(s, sso), login)
        assert relay == "/x?y=1", relay
        resp = client.parse_authn_request_response(saml_response, BINDING_HTTP_POST)
        check_assertion(resp, login)

    def tampered_is_refused():
        s = browser()
        sso = f"{fed.base}/app/{app_name}/{app_id}/sso/saml"
        _, saml_response, _ = follow_to_form(fed, s, get(s, sso), login)
        xml = base64.b64decode(saml_response).decode()
        forged = xml.replace(login, "admin@localhost.test")
        assert forged != xml
        refused = False
        try:
            r = client.parse_authn_request_response(
                base64.b64encode(forged.encode()).decode(), BINDING_HTTP_POST)
            refused = r is None
        except Exception:  # noqa: BLE001 - any refusal counts
            refused = True
        assert refused, "pysaml2 accepted a tampered response"

    case("SP-initiated, HTTP-Redirect request, signed response accepted", sp_initiated_redirect)
    case("SP-initiated, HTTP-POST request, signed response accepted", sp_initiated_post)
    case("IdP-initiated, signed response accepted", idp_initiated)
    case("tampered response refused", tampered_is_refused)

    passed = sum(1 for _, ok in results if ok)
    failed = len(results) - passed
    print(f"saml-interop: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
