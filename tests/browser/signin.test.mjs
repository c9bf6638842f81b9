// Sign-in in a real browser: Debian's Chromium, headless, driven by playwright-core, against a
// real `federa serve` on an empty database. The admin API sets up a user, activates the
// Google Authenticator (TOTP) authenticator and adds a global session policy rule that requires
// MFA; the browser then signs in through the server-rendered pages (CONTRACT §6), enrolling an
// authenticator app on the spot. Locators go by visible label and role, so the labels of §6 are
// checked too. A screenshot of every page visited goes to target/browser-screenshots/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import * as OTPAuth from 'otpauth';
import { REPO_ROOT, startFedera } from './lib/federa.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SHOTS = join(REPO_ROOT, 'target', 'browser-screenshots');
const SERVER_LOG = join(REPO_ROOT, 'target', 'browser-federa.log');
const PASSWORD = 'correct horse battery';
const MFA_USER = 'ada@example.com';
const OTHER_USER = 'bob@example.com';
const PASSKEY_USER = 'cy@example.com';

let server;

before(async () => {
  await mkdir(SHOTS, { recursive: true });
  for (const f of await readdir(SHOTS)) {
    if (f.endsWith('.png')) await rm(join(SHOTS, f));
  }
  server = await startFedera({ logPath: SERVER_LOG });

  for (const login of [MFA_USER, OTHER_USER, PASSKEY_USER]) {
    const u = await server.api('POST', '/api/v1/users?activate=true', {
      profile: { login, email: login, firstName: 'Test', lastName: 'User' },
      credentials: { password: { value: PASSWORD } },
    });
    assert.equal(u.status, 'ACTIVE', JSON.stringify(u));
  }

  const authenticators = await server.api('GET', '/api/v1/authenticators');
  const gotp = authenticators.find((a) => a.key === 'google_otp');
  assert.ok(gotp, `a google_otp authenticator: ${JSON.stringify(authenticators)}`);
  const activated = await server.api('POST', `/api/v1/authenticators/${gotp.id}/lifecycle/activate`, {});
  assert.equal(activated.status, 'ACTIVE', JSON.stringify(activated));

  const webauthn = authenticators.find((a) => a.key === 'webauthn');
  const wa = await server.api('POST', `/api/v1/authenticators/${webauthn.id}/lifecycle/activate`, {});
  assert.equal(wa.status, 'ACTIVE', JSON.stringify(wa));

  const [gsp] = await server.api('GET', '/api/v1/policies?type=OKTA_SIGN_ON');
  assert.ok(gsp?.id, 'a global session policy');
  await server.api('POST', `/api/v1/policies/${gsp.id}/rules`, {
    name: 'MFA',
    priority: 1,
    actions: { signon: { access: 'ALLOW', requireFactor: true, factorPromptMode: 'ALWAYS', primaryFactor: 'PASSWORD_IDP' } },
  });
});

after(async () => {
  if (server) {
    const exit = await server.stop();
    // SIGTERM is a clean stop; anything else means the server died or hung during the tests.
    assert.ok(exit && (exit.code === 0 || exit.signal === 'SIGTERM'), `federa stopped uncleanly: ${JSON.stringify(exit)}; log in ${SERVER_LOG}`);
  }
});

/**
 * A fresh headless Chromium with a fresh profile directory, and one page on it. Records page
 * errors and 5xx answers, which fail the test at the end, and numbers its screenshots.
 */
async function openBrowser(name) {
  const profile = await mkdtemp(join(tmpdir(), 'federa-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // The server binds 127.0.0.1 only; `localhost` must not be tried over ::1.
      '--host-resolver-rules=MAP *.localhost 127.0.0.1, MAP localhost 127.0.0.1',
    ],
    viewport: { width: 800, height: 900 },
  });
  context.setDefaultTimeout(15_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 500) problems.push(`${r.status()} from ${r.url()}`); });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  let n = 0;
  return {
    page,
    async shot(step) {
      n += 1;
      const path = join(SHOTS, `${name}-${String(n).padStart(2, '0')}-${step}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    /** GET /api/v1/sessions/me from inside the page, with the page's cookies. */
    sessionsMe: () => page.evaluate(async () => {
      const r = await fetch('/api/v1/sessions/me', { headers: { accept: 'application/json' } });
      let body = null;
      try { body = await r.json(); } catch { /* not JSON */ }
      return { status: r.status, body };
    }),
    async close(failed) {
      if (failed) await this.shot('failure').catch(() => {});
      await context.close();
      await rm(profile, { recursive: true, force: true });
      assert.deepEqual(problems, [], 'no page errors, failed requests or 5xx answers');
    },
  };
}

/** Runs `body` with a fresh browser, closing it (and taking a failure screenshot) whatever happens. */
async function withBrowser(name, body) {
  const b = await openBrowser(name);
  let failed = true;
  try {
    await body(b);
    failed = false;
  } catch (e) {
    const html = await b.page.content().catch(() => '');
    e.message += `\n(at ${b.page.url()}; page text: ${html.replace(/<style[\s\S]*?<\/style>/, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 600)})`;
    throw e;
  } finally {
    await b.close(failed);
  }
}

/** The identifier and password steps, by visible label and button name. */
async function enterUsernameAndPassword(b, login, password) {
  const { page } = b;
  await page.goto(`${server.origin}/login`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Username', { exact: true }).fill(login);
  await b.shot('username');
  await page.getByRole('button', { name: 'Next', exact: true }).click();

  const passwordField = page.getByLabel('Password', { exact: true });
  await passwordField.waitFor();
  assert.match(await page.locator('main').innerText(), new RegExp(`Signing in as ${login.replace('.', '\\.')}`));
  await passwordField.fill(password);
  await b.shot('password');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

test('password, then MFA by enrolling an authenticator app, in Chromium', { timeout: 90_000 }, async () => {
  await withBrowser('mfa-totp', async (b) => {
    const { page } = b;
    await enterUsernameAndPassword(b, MFA_USER, PASSWORD);

    // The global session policy asks for a second factor.
    await page.getByRole('heading', { name: "Verify it's you" }).waitFor();
    assert.equal((await b.sessionsMe()).status, 404, 'no session before MFA is met');
    await b.shot('choose');
    await page.getByRole('button', { name: 'Google Authenticator (set up)', exact: true }).click();

    // Enrollment: a QR code and the key; the code comes from the key, as an app would make it.
    await page.getByRole('heading', { name: /^Set up Google Authenticator/ }).waitFor();
    const qr = page.getByLabel('QR code');
    await qr.locator('svg').waitFor();
    const qrBox = await qr.boundingBox();
    assert.ok(qrBox && qrBox.width > 50 && qrBox.height > 50, `the QR code is drawn at a scannable size: ${JSON.stringify(qrBox)}`);
    const key = (await page.locator('#totp-secret').innerText()).trim();
    assert.match(key, /^[A-Z2-7]+=*$/, 'a base32 key');
    await b.shot('enroll');
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(key), algorithm: 'SHA1', digits: 6, period: 30 });
    const code = totp.generate();
    await page.getByLabel('Verification code', { exact: true }).fill(code);
    await b.shot('enroll-code');
    await page.getByRole('button', { name: 'Verify', exact: true }).click();

    // Signed in (or, failing fast instead of timing out, an alert on the same page).
    await page.getByRole('heading', { name: /^Signed in as/ }).or(page.getByRole('alert')).waitFor();
    assert.equal(page.url(), `${server.origin}/me`);
    const heading = page.getByRole('heading', { level: 1 });
    assert.equal((await heading.innerText()).trim(), `Signed in as ${MFA_USER}`);
    assert.match(await page.locator('main').innerText(), /Signed in as/);
    await b.shot('me');

    // The session, as the page's own origin sees it.
    const me = await b.sessionsMe();
    assert.equal(me.status, 200, JSON.stringify(me));
    assert.equal(me.body.login, MFA_USER);
    assert.ok(Array.isArray(me.body.amr), JSON.stringify(me.body));
    assert.ok(me.body.amr.includes('pwd'), `amr has pwd: ${JSON.stringify(me.body.amr)}`);
    assert.ok(me.body.amr.includes('otp'), `amr has otp: ${JSON.stringify(me.body.amr)}`);

    // The session cookie is not readable from page scripts.
    const cookies = await page.context().cookies(server.origin);
    const sid = cookies.find((c) => c.name === 'federa_sid');
    assert.ok(sid, `a session cookie: ${JSON.stringify(cookies.map((c) => c.name))}`);
    assert.equal(sid.httpOnly, true);
    assert.equal(await page.evaluate(() => document.cookie.includes('federa_sid')), false);
  });
});

test('a wrong password shows an alert and creates no session, in Chromium', { timeout: 60_000 }, async () => {
  await withBrowser('wrong-password', async (b) => {
    const { page } = b;
    await enterUsernameAndPassword(b, OTHER_USER, 'not the password');

    const alert = page.getByRole('alert');
    await alert.waitFor();
    const message = (await alert.innerText()).trim();
    assert.ok(message.length > 0, 'the alert says something');
    assert.ok(!message.includes(OTHER_USER), `the alert does not echo the user: ${message}`);
    await b.shot('alert');
    assert.notEqual(new URL(page.url()).pathname, '/me');

    const me = await b.sessionsMe();
    assert.equal(me.status, 404, `no session: ${JSON.stringify(me)}`);
    const cookies = await page.context().cookies(server.origin);
    assert.equal(cookies.find((c) => c.name === 'federa_sid'), undefined, 'no session cookie');
    // /me itself does not show a signed-in page.
    await page.goto(`${server.origin}/me`);
    assert.doesNotMatch(await page.locator('body').innerText(), /Signed in as/);
    await b.shot('me-refused');
  });
});

test('a passkey set up and used through a virtual authenticator, in Chromium', { timeout: 90_000 }, async () => {
  await withBrowser('passkey', async (b) => {
    const { page } = b;
    // A platform authenticator with resident keys and user verification, answering by itself.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });

    await enterUsernameAndPassword(b, PASSKEY_USER, PASSWORD);
    await page.getByRole('heading', { name: "Verify it's you" }).waitFor();
    await b.shot('choose');
    await page.getByRole('button', { name: 'Security Key or Biometric (set up)', exact: true }).click();
    await page.getByRole('button', { name: 'Set up a passkey', exact: true }).click();
    await page.getByRole('heading', { name: /^Signed in as/ }).or(page.getByRole('alert').filter({ hasText: /./ })).waitFor();
    assert.equal(page.url(), `${server.origin}/me`);
    await b.shot('registered');
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1, 'one passkey on the authenticator');
    let me = await b.sessionsMe();
    assert.ok(me.body.amr.includes('phr'), `a phishing-resistant factor: ${JSON.stringify(me.body.amr)}`);

    // Sign out, then sign in again with the passkey.
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByRole('heading', { name: /signed out/ }).waitFor();
    await enterUsernameAndPassword(b, PASSKEY_USER, PASSWORD);
    await page.getByRole('heading', { name: "Verify it's you" }).waitFor();
    await page.getByRole('button', { name: 'Security Key or Biometric', exact: true }).click();
    await b.shot('use');
    await page.getByRole('button', { name: 'Continue with a passkey', exact: true }).click();
    await page.getByRole('heading', { name: /^Signed in as/ }).or(page.getByRole('alert').filter({ hasText: /./ })).waitFor();
    assert.equal(page.url(), `${server.origin}/me`);
    await b.shot('signed-in');
    me = await b.sessionsMe();
    assert.equal(me.status, 200);
    assert.ok(me.body.amr.includes('phr') && me.body.amr.includes('pwd'), JSON.stringify(me.body.amr));
    const after = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.ok(after.credentials[0].signCount >= 1, 'the assertion was counted');

    // The end-user page lists the passkey, removes it and adds one again.
    const main = page.locator('main');
    assert.match(await main.innerText(), /passkey \(added/);
    await page.getByRole('button', { name: 'Remove passkey', exact: true }).click();
    await page.getByText('No passkeys yet.').waitFor();
    await page.getByRole('button', { name: 'Add a passkey', exact: true }).click();
    await page.getByRole('button', { name: 'Remove passkey', exact: true }).or(page.getByRole('alert').filter({ hasText: /./ })).waitFor();
    assert.match(await main.innerText(), /passkey \(added/);
    await b.shot('me-passkeys');
  });
});
