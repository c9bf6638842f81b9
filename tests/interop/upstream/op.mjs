// An upstream OpenID Provider for Federa's SP role: npm `oidc-provider` (OpenID Certified OP),
// version pinned by package-lock.json here, on 127.0.0.1 (a port the OS picks).
//
// Environment (set by run.sh):
//   OP_CLIENT_ID, OP_CLIENT_SECRET  the confidential client Federa uses (client_secret_basic)
//   OP_REDIRECT_URI                 Federa's /oauth2/v1/authorize/callback
//   OP_OUT                          a scratch directory: `op.json` (issuer, port) is written once
//                                   listening, and every ID token the token endpoint emits is
//                                   appended to `id_tokens.jsonl` (for the fixtures)
//
// The interaction is scripted, not the library's dev pages (they cannot set `amr`): GET
// /interaction/{uid} renders a small form; POST /interaction/{uid} with `login` (the account),
// `amr` (comma-separated; empty = no `amr` at all) and `acr` finishes login *and* consent in one
// step with `interactionFinished(req, res, { login: { accountId, amr, acr }, consent: { grantId } })`.
// `amr`, `acr`, `email` and `email_verified` are released under the `openid` scope, and
// `conformIdTokenClaims: false` puts them in the ID token (Federa reads only the ID token).

import http from 'node:http';
import { appendFileSync, writeFileSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes, generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const HERE = dirname(fileURLToPath(import.meta.url));
const { OP_CLIENT_ID, OP_CLIENT_SECRET, OP_REDIRECT_URI, OP_OUT } = process.env;
if (!OP_CLIENT_ID || !OP_CLIENT_SECRET || !OP_REDIRECT_URI || !OP_OUT) {
  console.error('op.mjs: run it through run.sh (OP_CLIENT_ID, OP_CLIENT_SECRET, OP_REDIRECT_URI, OP_OUT)');
  process.exit(2);
}
const VERSION = JSON.parse(readFileSync(join(HERE, 'node_modules', 'oidc-provider', 'package.json'), 'utf8')).version;

// Accounts: any login of the form name@example.test exists, its email verified.
async function findAccount(_ctx, id) {
  if (!/^[a-z0-9.+-]+@example\.test$/.test(id)) return undefined;
  return {
    accountId: id,
    async claims() {
      return { sub: id, email: id, email_verified: true, given_name: 'Upstream', family_name: id.split('@')[0] };
    },
  };
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const c of req) {
    size += c.length;
    if (size > 64 * 1024) throw new Error('form too large');
    chunks.push(c);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// A fresh RS256 signing key for this run (the library's quick-start keys are for development).
const signingKey = {
  ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  kid: `op-${randomBytes(6).toString('hex')}`, use: 'sig', alg: 'RS256',
};

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: OP_CLIENT_ID,
      client_secret: OP_CLIENT_SECRET,
      redirect_uris: [OP_REDIRECT_URI],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    findAccount,
    claims: {
      openid: ['sub', 'acr', 'amr', 'auth_time', 'email', 'email_verified'],
      email: ['email', 'email_verified'],
      profile: ['given_name', 'family_name'],
    },
    conformIdTokenClaims: false,
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    jwks: { keys: [signingKey] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    ttl: { IdToken: 600, AccessToken: 600, AuthorizationCode: 60, Interaction: 600, Session: 600, Grant: 600 },
  });
  provider.on('server_error', (_ctx, err) => console.error('op: server_error', err));
  // Every ID token the token endpoint hands out, for the fixtures.
  provider.on('grant.success', (ctx) => {
    const idToken = ctx.body && ctx.body.id_token;
    if (idToken) appendFileSync(join(OP_OUT, 'id_tokens.jsonl'), JSON.stringify({ at: new Date().toISOString(), id_token: idToken }) + '\n');
  });
  const callback = provider.callback();

  server.on('request', async (req, res) => {
    const m = /^\/interaction\/([A-Za-z0-9_-]+)$/.exec(req.url.split('?')[0]);
    if (!m) return callback(req, res);
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.uid !== m[1]) throw new Error('interaction uid mismatch');
      if (req.method === 'GET') {
        const hint = details.params.login_hint || '';
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(`<!doctype html><title>Upstream OP sign-in</title>
<form method="post" action="/interaction/${escapeHtml(details.uid)}">
<p>prompt: ${escapeHtml(details.prompt.name)}; client: ${escapeHtml(details.params.client_id)}</p>
<input name="login" value="${escapeHtml(hint)}">
<input name="amr" value="pwd,otp,mfa">
<input name="acr" value="urn:example:loa:2">
<button>Sign in</button></form>`);
        return;
      }
      if (req.method !== 'POST') { res.writeHead(405); res.end(); return; }
      const form = await readForm(req);
      const accountId = form.get('login') || '';
      if (!(await findAccount(null, accountId))) {
        await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'unknown account' }, { mergeWithLastSubmission: false });
        return;
      }
      const amrText = form.get('amr') || '';
      const amr = amrText.split(',').map((v) => v.trim()).filter(Boolean);
      const acr = form.get('acr') || undefined;
      const login = { accountId };
      if (amr.length) login.amr = amr;
      if (acr) login.acr = acr;
      // Consent in the same step: a Grant for what the client asked.
      const { params } = details;
      const grant = new provider.Grant({ accountId, clientId: params.client_id });
      grant.addOIDCScope(String(params.scope || 'openid'));
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { login, consent: { grantId } }, { mergeWithLastSubmission: false });
    } catch (e) {
      console.error('op: interaction failed', e);
      if (!res.headersSent) { res.writeHead(400, { 'content-type': 'text/plain' }); }
      res.end(`interaction failed: ${e.message}`);
    }
  });

  writeFileSync(join(OP_OUT, 'op.json'), JSON.stringify({ issuer, port, version: VERSION, node: process.version }));
  console.error(`op: oidc-provider ${VERSION} listening on ${issuer}`);
});

for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
