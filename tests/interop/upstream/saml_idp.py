"""An upstream SAML 2.0 IdP for Federa's SP role, built on pysaml2 (PyPI) with Debian's xmlsec1.

Started by run.sh: `saml_idp.py --out DIR`. Binds 127.0.0.1 on a port the OS picks, makes a fresh
RSA-2048 key and self-signed certificate in DIR, then writes DIR/saml_idp.json
({"base", "entity_id", "sso_url", "cert_b64", "pysaml2"}) once it listens.

Endpoints:
  GET  /sso/redirect?SAMLRequest=...&RelayState=...  HTTP-Redirect SSO: pysaml2 parses the
       AuthnRequest (its Destination must be this endpoint; the requesting SP and its ACS must
       be in the loaded metadata) and renders a small sign-in form.
  POST /login  (key, login, amr, amr_style)  "signs in" the user and answers the HTTP-POST
       form to the SP's ACS: a Response and its Assertion both signed (RSA-SHA256, SHA-256
       digests), NameID = the login (emailAddress format), AuthnContextClassRef
       PasswordProtectedTransport, and the attribute `session.amr`:
         amr_style=multi  one AttributeValue per value (the default)
         amr_style=comma  one AttributeValue holding the values joined by commas
         amr_style=none   no `session.amr` attribute at all
  POST /control/sp-metadata  (body: an SP's metadata XML) the administrator step of loading an
       SP's metadata, here done by the test driver with what Federa publishes per IdP object.
  GET  /responses/last  the last issued Response XML (kept for the fixtures and the replay case).
"""

import argparse
import base64
import datetime
import html
import json
import os
import secrets
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

import importlib.metadata
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, saml
from saml2.config import IdPConfig
from saml2.saml import NAME_FORMAT_UNSPECIFIED, NAMEID_FORMAT_EMAILADDRESS
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

PASSWORD_PROTECTED = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"


def make_key_and_cert(out_dir, common_name):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_path = os.path.join(out_dir, "idp.key")
    cert_path = os.path.join(out_dir, "idp.crt")
    with open(key_path, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        )
    os.chmod(key_path, 0o600)
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    der = cert.public_bytes(serialization.Encoding.DER)
    return key_path, cert_path, base64.b64encode(der).decode()


class Idp:
    def __init__(self, base, out_dir):
        self.base = base
        self.entity_id = f"{base}/idp"
        self.sso_url = f"{base}/sso/redirect"
        self.out_dir = out_dir
        key_path, cert_path, self.cert_b64 = make_key_and_cert(out_dir, "pysaml2 upstream IdP")
        conf = {
            "entityid": self.entity_id,
            "service": {
                "idp": {
                    "name": "pysaml2 upstream IdP",
                    "endpoints": {"single_sign_on_service": [(self.sso_url, BINDING_HTTP_REDIRECT)]},
                    "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                    "want_authn_requests_signed": False,
                    "sign_response": True,
                    "sign_assertion": True,
                    "policy": {
                        "default": {
                            "lifetime": {"minutes": 5},
                            "attribute_restrictions": None,
                            "name_form": NAME_FORMAT_UNSPECIFIED,
                        }
                    },
                }
            },
            "key_file": key_path,
            "cert_file": cert_path,
            "xmlsec_binary": "/usr/bin/xmlsec1",
            "metadata": {},
            "allow_unknown_attributes": True,
            "signing_algorithm": SIG_RSA_SHA256,
            "digest_algorithm": DIGEST_SHA256,
        }
        cfg = IdPConfig()
        cfg.load(conf)
        self.server = Server(config=cfg)
        self.pending = {}
        self.last_response = None
        self.lock = threading.Lock()

    def load_sp_metadata(self, xml):
        self.server.metadata.load("inline", xml)

    def start(self, saml_request, relay_state):
        req = self.server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT)
        resp_args = self.server.response_args(req.message, [BINDING_HTTP_POST])
        key = secrets.token_urlsafe(16)
        with self.lock:
            self.pending[key] = (resp_args, relay_state)
        return key, req.message

    def finish(self, key, login, amr, style):
        with self.lock:
            resp_args, relay_state = self.pending.pop(key)
        identity = {}
        if style == "multi" and amr:
            identity["session.amr"] = amr
        elif style == "comma" and amr:
            identity["session.amr"] = [",".join(amr)]
        name_id = saml.NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=login)
        args = dict(resp_args)
        args.pop("binding", None)
        resp = self.server.create_authn_response(
            identity,
            userid=login,
            name_id=name_id,
            authn={"class_ref": PASSWORD_PROTECTED, "authn_auth": self.entity_id},
            sign_response=True,
            sign_assertion=True,
            sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
            **args,
        )
        xml = str(resp)
        with self.lock:
            self.last_response = xml
        return args["destination"], base64.b64encode(xml.encode()).decode(), relay_state


def page(title, body):
    return f"<!doctype html><meta charset=utf-8><title>{html.escape(title)}</title>{body}".encode()


def make_handler(idp):
    class Handler(BaseHTTPRequestHandler):
        server_version = "pysaml2-upstream"

        def log_message(self, fmt, *args):
            sys.stderr.write("saml_idp: " + (fmt % args) + "\n")

        def send(self, status, body, ctype="text/html; charset=utf-8"):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def body(self):
            n = int(self.headers.get("Content-Length") or 0)
            if n > 1024 * 1024:
                raise ValueError("body too large")
            return self.rfile.read(n)

        def do_GET(self):
            u = urllib.parse.urlsplit(self.path)
            q = urllib.parse.parse_qs(u.query)
            try:
                if u.path == "/sso/redirect":
                    key, msg = idp.start(q["SAMLRequest"][0], (q.get("RelayState") or [None])[0])
                    sp = html.escape(msg.issuer.text if msg.issuer is not None else "?")
                    self.send(
                        200,
                        page(
                            "pysaml2 IdP sign-in",
                            f'<p>Sign in to {sp}</p><form method="post" action="/login">'
                            f'<input type="hidden" name="key" value="{key}">'
                            '<input name="login"><input name="amr" value="pwd,otp,mfa">'
                            '<select name="amr_style"><option>multi</option><option>comma</option>'
                            "<option>none</option></select><button>Sign in</button></form>",
                        ),
                    )
                elif u.path == "/responses/last":
                    self.send(200, (idp.last_response or "").encode(), "application/xml")
                elif u.path == "/healthz":
                    self.send(200, b"ok", "text/plain")
                else:
                    self.send(404, page("not found", "<p>not found</p>"))
            except Exception as e:  # a bad request from the SP: a readable 400
                self.send(400, page("error", f"<p role=alert>{html.escape(repr(e))}</p>"))

        def do_POST(self):
            u = urllib.parse.urlsplit(self.path)
            try:
                if u.path == "/control/sp-metadata":
                    idp.load_sp_metadata(self.body().decode())
                    self.send(204, b"")
                elif u.path == "/login":
                    f = urllib.parse.parse_qs(self.body().decode(), keep_blank_values=True)
                    amr = [v.strip() for v in f.get("amr", [""])[0].split(",") if v.strip()]
                    style = f.get("amr_style", ["multi"])[0]
                    dest, response, relay = idp.finish(f["key"][0], f["login"][0], amr, style)
                    relay_field = (
                        f'<input type="hidden" name="RelayState" value="{html.escape(relay)}">'
                        if relay
                        else ""
                    )
                    self.send(
                        200,
                        page(
                            "Continue",
                            f'<form method="post" action="{html.escape(dest)}">'
                            f'<input type="hidden" name="SAMLResponse" value="{response}">'
                            f"{relay_field}<noscript><button>Continue</button></noscript></form>"
                            "<script>document.forms[0].submit()</script>",
                        ),
                    )
                else:
                    self.send(404, page("not found", "<p>not found</p>"))
            except Exception as e:
                self.send(400, page("error", f"<p role=alert>{html.escape(repr(e))}</p>"))

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), None)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    idp = Idp(base, a.out)
    httpd.RequestHandlerClass = make_handler(idp)
    info = {
        "base": base,
        "entity_id": idp.entity_id,
        "sso_url": idp.sso_url,
        "cert_b64": idp.cert_b64,
        "pysaml2": importlib.metadata.version("pysaml2"),
    }
    tmp = os.path.join(a.out, "saml_idp.json.tmp")
    with open(tmp, "w") as f:
        json.dump(info, f)
    os.replace(tmp, os.path.join(a.out, "saml_idp.json"))
    sys.stderr.write(f"saml_idp: pysaml2 {info['pysaml2']} listening on {base}\n")
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    main()
