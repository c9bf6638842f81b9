#!/usr/bin/env python3
"""Test vectors for federa-jose, made by an independent JOSE implementation (jwcrypto).

Usage (see README.md for the exact environment used):

    python3 make_vectors.py generate   # new keys + every vector in this directory (overwrites)
    python3 make_vectors.py verify     # jwcrypto decrypts federa_produced.jwe (made by federa-jose)
                                       # and records the outcome in federa_produced.verify.json

`generate` makes a fresh RSA-2048 key, so every vector changes; run it only when the vectors
must change, then re-run the federa-jose step and `verify` (README.md).
"""

import base64
import json
import os
import sys
from importlib.metadata import version

from jwcrypto import jwe, jwk
from jwcrypto.common import json_encode

HERE = os.path.dirname(os.path.abspath(__file__))

# The OktaAuth / okta_auth plaintext shape of CONTRACT.md §4 (values are samples).
PAYLOAD = {
    "iss": "https://hub.localhost",
    "aud": "https://spoke.localhost",
    "sub": "00u1a2b3c4d5e6f7g8h9",
    "iat": 1724277330,
    "engine": "IDENTITY",
    "mfaVerified": "true",
    "factorVerifications": [
        {
            "factor": {
                "type": "AUTHENTICATOR",
                "displayName": "Password",
                "status": "ACTIVE",
                "authenticatorType": "password",
                "methodType": "password",
                "authenticatorKeyName": "okta_password",
                "profile": {},
                "properties": [],
                "propertiesToVerify": [],
                "propertiesRequiredToVerify": [],
                "factorClassesToBeChallengedByThisMethod": ["KNOWLEDGE"],
                "usableForRecoveryOnly": False,
                "userVerificationKeyUnavailable": False,
            },
            "verificationTimestamp": 1724277310112,
        },
        {
            "factor": {
                "type": "AUTHENTICATOR",
                "displayName": "Phone",
                "status": "ACTIVE",
                "authenticatorType": "phone",
                "methodType": "sms",
                "authenticatorKeyName": "phone_number",
                "profile": {"phoneNumber": "+1 XXX-XXX-2282"},
                "properties": [],
                "propertiesToVerify": [],
                "propertiesRequiredToVerify": [],
                "factorClassesToBeChallengedByThisMethod": ["POSSESSION"],
                "usableForRecoveryOnly": False,
                "userVerificationKeyUnavailable": False,
            },
            "verificationTimestamp": 1724277328376,
        },
    ],
}

ALL_ALGS = [
    "RSA1_5", "RSA-OAEP", "RSA-OAEP-256", "dir", "ECDH-ES", "PBES2-HS256+A128KW",
    "A128GCM", "A256GCM", "A256CBC-HS512",
]


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def write(name: str, text: str) -> None:
    with open(os.path.join(HERE, name), "w", encoding="utf-8", newline="\n") as f:
        f.write(text if text.endswith("\n") else text + "\n")


def read(name: str) -> str:
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        return f.read().strip()


def encrypt(key, payload: bytes, protected) -> str:
    """Compact JWE by jwcrypto. `protected` is a dict (jwcrypto sorts the members) or a raw
    JSON string (kept byte for byte)."""
    token = jwe.JWE(payload, protected=protected, algs=ALL_ALGS)
    token.add_recipient(key)
    return token.serialize(compact=True)


def decrypts_with_jwcrypto(key, compact: str) -> bool:
    try:
        token = jwe.JWE(algs=ALL_ALGS)
        token.deserialize(compact, key=key)
        return True
    except Exception:  # noqa: BLE001 - any failure counts as "does not decrypt"
        return False


def generate() -> None:
    key = jwk.JWK.generate(kty="RSA", size=2048)
    kid = key.thumbprint()  # RFC 7638, SHA-256
    key = jwk.JWK(**{**key.export(as_dict=True), "kid": kid})
    other = jwk.JWK.generate(kty="RSA", size=2048)
    other_kid = other.thumbprint()
    other = jwk.JWK(**{**other.export(as_dict=True), "kid": other_kid})

    write("recipient_key.pem", key.export_to_pem(private_key=True, password=None).decode())
    public = key.export_public(as_dict=True)
    public.update({"use": "enc", "alg": "RSA-OAEP-256"})
    write("recipient_key.public.jwk.json", json.dumps(public, indent=2, sort_keys=True))
    write("recipient_key.kid.txt", kid)

    payload = json.dumps(PAYLOAD, separators=(",", ":")).encode()
    write("payload.json", payload.decode())

    def hdr(alg="RSA-OAEP-256", enc="A256GCM", **extra):
        return {"alg": alg, "enc": enc, "kid": kid, **extra}

    vectors = {}
    valid = encrypt(key, payload, hdr())
    vectors["valid_oktaauth.jwe"] = valid
    vectors["valid_typ_cty.jwe"] = encrypt(key, payload, hdr(typ="JWT", cty="json"))
    vectors["reject_rsa1_5.jwe"] = encrypt(key, payload, hdr(alg="RSA1_5"))
    vectors["reject_rsa_oaep.jwe"] = encrypt(key, payload, hdr(alg="RSA-OAEP"))
    vectors["reject_a128gcm.jwe"] = encrypt(key, payload, hdr(enc="A128GCM"))
    vectors["reject_a256cbc_hs512.jwe"] = encrypt(key, payload, hdr(enc="A256CBC-HS512"))
    vectors["reject_zip_def.jwe"] = encrypt(key, payload, hdr(zip="DEF"))
    # jwcrypto encrypts with any header; `crit` is only checked when decrypting.
    vectors["reject_crit.jwe"] = encrypt(
        key, payload, hdr(crit=["urn:example:must-understand"],
                          **{"urn:example:must-understand": True}))
    # Encrypted to a key that is not ours, with that key's kid.
    vectors["reject_wrong_kid.jwe"] = encrypt(
        other, payload, {"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": other_kid})
    # Encrypted to our key but labelled with a foreign kid: no "try every key" fallback.
    vectors["reject_foreign_kid_our_key.jwe"] = encrypt(
        key, payload, {"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": other_kid})
    # Parser differential: jwcrypto's JSON keeps the last "alg" (RSA-OAEP-256) and encrypts
    # with it; a first-wins parser would see RSA1_5.
    vectors["reject_duplicate_alg.jwe"] = encrypt(
        key, payload,
        '{"alg":"RSA1_5","alg":"RSA-OAEP-256","enc":"A256GCM","kid":"%s"}' % kid)
    # Other key management algorithms, each with its own kind of key.
    sym = jwk.JWK.generate(kty="oct", size=256)
    vectors["reject_dir.jwe"] = encrypt(sym, payload, hdr(alg="dir"))
    ec = jwk.JWK.generate(kty="EC", crv="P-256")
    vectors["reject_ecdh_es.jwe"] = encrypt(ec, payload, hdr(alg="ECDH-ES"))
    pw = jwk.JWK.from_password("correct horse battery staple")
    vectors["reject_pbes2.jwe"] = encrypt(pw, payload, hdr(alg="PBES2-HS256+A128KW"))

    # Post-processing of the valid token (segments: header.ek.iv.ciphertext.tag).
    h, ek, iv, ct, tag = valid.split(".")
    raw_tag = bytearray(unb64u(tag))
    raw_tag[0] ^= 0x01
    vectors["reject_tampered_tag.jwe"] = ".".join([h, ek, iv, ct, b64u(bytes(raw_tag))])
    vectors["reject_truncated_tag.jwe"] = ".".join([h, ek, iv, ct, b64u(unb64u(tag)[:12])])
    raw_ct = bytearray(unb64u(ct))
    raw_ct[len(raw_ct) // 2] ^= 0x80
    vectors["reject_tampered_ciphertext.jwe"] = ".".join([h, ek, iv, b64u(bytes(raw_ct)), tag])
    raw_ek = bytearray(unb64u(ek))
    raw_ek[-1] ^= 0x01
    vectors["reject_tampered_encrypted_key.jwe"] = ".".join([h, b64u(bytes(raw_ek)), iv, ct, tag])

    manifest = []
    for name, compact in vectors.items():
        write(name, compact)
        target = {"reject_wrong_kid.jwe": other, "reject_dir.jwe": sym,
                  "reject_ecdh_es.jwe": ec, "reject_pbes2.jwe": pw}.get(name, key)
        manifest.append({
            "file": name,
            "protected_header": unb64u(compact.split(".")[0]).decode(),
            "jwcrypto_decrypts_with_its_key": decrypts_with_jwcrypto(target, compact),
        })
    write("manifest.json", json.dumps({
        "tool": "jwcrypto", "jwcrypto_version": version("jwcrypto"),
        "cryptography_version": version("cryptography"),
        "recipient_kid": kid, "vectors": manifest,
    }, indent=2))
    print(f"wrote {len(vectors)} vectors for kid {kid}")


def verify() -> None:
    key = jwk.JWK.from_pem(read("recipient_key.pem").encode())
    compact = read("federa_produced.jwe")
    expected = read("payload.json").encode()
    token = jwe.JWE(algs=["RSA-OAEP-256", "A256GCM"])
    token.deserialize(compact, key=key)
    ok = token.payload == expected
    header = json.loads(token.objects["protected"])
    record = {
        "tool": "jwcrypto", "jwcrypto_version": version("jwcrypto"),
        "cryptography_version": version("cryptography"),
        "file": "federa_produced.jwe", "protected_header": header,
        "plaintext_equals_payload_json": ok,
        "kid_equals_jwcrypto_thumbprint": header.get("kid") == key.thumbprint(),
    }
    write("federa_produced.verify.json", json.dumps(record, indent=2, sort_keys=True))
    print(json_encode(record))
    if not ok:
        sys.exit("plaintext mismatch")


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "generate":
        generate()
    elif mode == "verify":
        verify()
    else:
        sys.exit("usage: make_vectors.py generate|verify")
