"""Independent JWS vectors for federa-jose, made with Python `cryptography` (no JOSE library).

Run: python3 make_jws_vectors.py   (writes the files next to this script)
"""
import base64, json
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa, ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
def uint(n, length=None):
    length = length or (n.bit_length() + 7) // 8
    return n.to_bytes(length, "big")

payload = json.dumps({"iss": "https://idp.example", "sub": "00u1", "aud": "client", "exp": 2000000000, "iat": 1700000000}, separators=(",", ":")).encode()

rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ec_key = ec.generate_private_key(ec.SECP256R1())
for name, key in [("rsa", rsa_key), ("ec", ec_key)]:
    open(f"{name}_key.pk8.pem", "wb").write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

rn = rsa_key.public_key().public_numbers()
en = ec_key.public_key().public_numbers()
jwks = {"keys": [
    {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "rsa-1", "n": b64(uint(rn.n)), "e": b64(uint(rn.e))},
    {"kty": "EC", "use": "sig", "alg": "ES256", "kid": "ec-1", "crv": "P-256", "x": b64(uint(en.x, 32)), "y": b64(uint(en.y, 32))},
    {"kty": "RSA", "use": "enc", "alg": "RSA-OAEP-256", "kid": "enc-1", "n": b64(uint(rn.n)), "e": b64(uint(rn.e))},
]}
open("jwks.json", "w").write(json.dumps(jwks, indent=1))

def token(header, sign):
    si = b64(json.dumps(header, separators=(",", ":")).encode()) + "." + b64(payload)
    return si + "." + b64(sign(si.encode()))

rs = lambda m: rsa_key.sign(m, padding.PKCS1v15(), hashes.SHA256())
def es_raw(m):
    r, s = decode_dss_signature(ec_key.sign(m, ec.ECDSA(hashes.SHA256())))
    return uint(r, 32) + uint(s, 32)
es_der = lambda m: ec_key.sign(m, ec.ECDSA(hashes.SHA256()))

open("valid_rs256.jws", "w").write(token({"alg": "RS256", "kid": "rsa-1", "typ": "JWT"}, rs))
open("valid_es256.jws", "w").write(token({"alg": "ES256", "kid": "ec-1"}, es_raw))
open("reject_es256_der.jws", "w").write(token({"alg": "ES256", "kid": "ec-1"}, es_der))
open("payload.json", "wb").write(payload)
