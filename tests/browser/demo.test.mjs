// `federa demo` end to end in a real browser (issue 7 item 2): Debian's Chromium, headless,
// driven by playwright-core, against our own `federa demo --port <free> --data-dir <fresh>`.
//
// 1. The demo app at the hub sends demo@example.com to the spoke, which asks for the password
//    and a TOTP code; the hub trusts the spoke's claims, so the app page is reached with no
//    second prompt and shows amr pwd/otp/mfa and the factors credited from the spoke's IdP.
// 2. The hub's "Any 2 factor types" rule tightened to phishing-resistant (and WebAuthn activated
//    at the hub, which the default MFA_ENROLL policy lets users set up): after the spoke, the hub
//    asks for a passkey of its own, set up on the spot with a CDP virtual authenticator, and the
//    sign-in succeeds with WebAuthn among the verifications.
// 3. The rule restored and the IdP's trustClaims switched off through the admin API: after the
//    spoke, the hub asks for its own MFA (its factor choice, the JIT user having none) instead of
//    showing the app; an authenticator app is then set up there and the sign-in completes with
//    the hub's own factor.
//
// Every page visited is saved under target/browser-screenshots/demo/ (a directory of its own:
// the other test files run in parallel and clear the top-level screenshots).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from './lib/federa.mjs';
import { startDemo, TotpSource, totpAt, currentStep } from './lib/demo.mjs';
import { withBrowser } from './lib/browser.mjs';

const SHOTS = join(REPO_ROOT, 'target', 'browser-screenshots', 'demo');
const SERVER_LOG = join(REPO_ROOT, 'target', 'browser-federa-demo.log');
const HUB_POLICY = 'Any 2 factor types';

let demo;
let totp;

before(async () => {
  await rm(SHOTS, { recursive: true, force: true });
  await mkdir(SHOTS, { recursive: true });
  demo = await startDemo({ logPath: SERVER_LOG });
  assert.equal(demo.user, 'demo@example.com');
  assert.equal(demo.demoUrl, `http://hub.localhost:${demo.port}/demo`);
  // The demo activated the TOTP factor with the previous step's code: never reuse it.
  totp = new TotpSource(demo.totpSecret, { lastUsedStep: currentStep() - 1 });
});

after(async () => {
  if (demo) {
    const exit = await demo.stop();
    assert.ok(exit && (exit.code === 0 || exit.signal === 'SIGTERM'), `federa demo stopped uncleanly: ${JSON.stringify(exit)}; log in ${SERVER_LOG}`);
  }
});

const hostOf = (url) => new URL(url).hostname;
const pathOf = (url) => new URL(url).pathname;

/** The hub's app sign-in policy "Any 2 factor types" and its (non-system) rule of that name. */
async function hubRule() {
  const policies = await demo.hub.api('GET', '/api/v1/policies?type=ACCESS_POLICY');
  const policy = policies.find((p) => p.name === HUB_POLICY);
  assert.ok(policy, `the hub has "${HUB_POLICY}": ${JSON.stringify(policies.map((p) => p.name))}`);
  const rules = await demo.hub.api('GET', `/api/v1/policies/${policy.id}/rules`);
  const rule = rules.find((r) => r.name === HUB_POLICY && !r.system);
  assert.ok(rule, `its rule: ${JSON.stringify(rules.map((r) => r.name))}`);
  return { policy, rule };
}

/** PUT the rule back with `constraints` replaced; returns what the server stored. */
async function putRuleConstraints(policy, rule, constraints) {
  const body = {
    name: rule.name,
    priority: rule.priority,
    conditions: rule.conditions ?? undefined,
    actions: structuredClone(rule.actions),
  };
  body.actions.appSignOn.verificationMethod.constraints = constraints;
  return demo.hub.api('PUT', `/api/v1/policies/${policy.id}/rules/${rule.id}`, body);
}

async function activateHubAuthenticator(key) {
  const all = await demo.hub.api('GET', '/api/v1/authenticators');
  const a = all.find((x) => x.key === key);
  assert.ok(a, `a ${key} authenticator at the hub: ${JSON.stringify(all.map((x) => x.key))}`);
  if (a.status === 'ACTIVE') return a;
  const r = await demo.hub.api('POST', `/api/v1/authenticators/${a.id}/lifecycle/activate`, {});
  assert.equal(r.status, 'ACTIVE', JSON.stringify(r));
  return r;
}

/** The default MFA_ENROLL policy lets users set `key` up themselves (OPTIONAL or REQUIRED). */
async function assertHubEnrollAllows(key) {
  const enroll = await demo.hub.api('GET', '/api/v1/policies?type=MFA_ENROLL');
  const settings = enroll.flatMap((p) => (p.status === 'ACTIVE' ? p.settings?.authenticators ?? [] : []));
  const entry = settings.find((s) => s.key === key);
  assert.ok(entry && entry.enroll?.self !== 'NOT_ALLOWED', `the hub's MFA_ENROLL allows ${key}: ${JSON.stringify(settings)}`);
}

/**
 * From the hub's /demo to the point where the spoke hands the browser back to the hub: the hub's
 * sign-in page (identifier routed to the spoke), the spoke's identifier, password and TOTP steps.
 */
async function signInAtSpoke(b) {
  const { page } = b;
  await page.goto(demo.demoUrl);

  // The hub: its sign-in page, offering the spoke too.
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(hostOf(page.url()), 'hub.localhost', 'the demo app asks the hub to sign in');
  await page.getByRole('button', { name: 'Sign in with Spoke', exact: true }).waitFor();
  await page.getByLabel('Username', { exact: true }).fill(demo.user);
  await b.shot('hub-sign-in');
  await page.getByRole('button', { name: 'Next', exact: true }).click();

  // The spoke: the routing rule sent the user there with a login hint.
  await page.waitForURL((u) => u.hostname === 'spoke.localhost');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  const username = page.getByLabel('Username', { exact: true });
  const password = page.getByLabel('Password', { exact: true });
  await username.or(password).waitFor();
  if (await username.isVisible()) {
    assert.equal(await username.inputValue(), demo.user, 'the login hint is prefilled at the spoke');
    await b.shot('spoke-identify');
    await page.getByRole('button', { name: 'Next', exact: true }).click();
  }
  await password.waitFor();
  assert.equal(hostOf(page.url()), 'spoke.localhost');
  assert.match(await page.locator('main').innerText(), /Signing in as demo@example\.com/);
  await password.fill(demo.password);
  await b.shot('spoke-password');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();

  // The spoke's second factor: a choice (if offered) then the code.
  const code = page.getByLabel('Verification code', { exact: true });
  const choose = page.getByRole('heading', { name: "Verify it's you" });
  await code.or(choose).or(page.getByRole('alert')).first().waitFor();
  if (await choose.isVisible()) {
    await b.shot('spoke-choose');
    await page.getByRole('button', { name: /^Okta Verify/ }).first().click();
    await code.waitFor();
  }
  assert.equal(hostOf(page.url()), 'spoke.localhost');
  await code.fill(await totp.next());
  await b.shot('spoke-totp');
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  await page.waitForURL((u) => u.hostname === 'hub.localhost');
}

/** Where the browser settles at the hub after the spoke: the demo app or one of the hub's pages. */
async function settleAtHub(page) {
  const app = page.getByRole('heading', { name: 'Federa demo app' });
  const choose = page.getByRole('heading', { name: "Verify it's you" });
  const other = page.getByRole('heading', { level: 1 });
  await app.or(choose).or(page.getByRole('alert').filter({ hasText: /./ })).or(other).first().waitFor();
  // Redirects through the hub finish with a page; wait for that page's load to be complete.
  await page.waitForLoadState('load');
  if (await app.isVisible()) return 'app';
  if (await choose.isVisible()) return 'choose';
  return `other: ${(await other.first().innerText()).trim()}`;
}

/** The demo app page's contents. */
async function readAppPage(page) {
  const amr = (await page.locator('#demo-amr code').allInnerTexts()).map((s) => s.trim());
  const credited = await page.locator('#demo-credited tr').evaluateAll((rows) => rows.slice(1).map((r) => {
    const [authenticator, method, source, at] = [...r.querySelectorAll('td')].map((td) => td.innerText.trim());
    return { authenticator, method, source, at };
  }));
  const claimsText = await page.locator('#demo-claims').innerText();
  let claims = null;
  try { claims = JSON.parse(claimsText); } catch { /* shown as text */ }
  const user = (await page.locator('#demo-user').innerText()).trim();
  return { amr, credited, claims, claimsText, user };
}

test('demo: spoke password + TOTP, then the hub app with no second prompt, in Chromium', { timeout: 120_000 }, async () => {
  await withBrowser('1-trusted', SHOTS, async (b) => {
    const { page } = b;
    await signInAtSpoke(b);
    const leftSpoke = b.visited.length;
    assert.equal(await settleAtHub(page), 'app', 'the hub shows the app, not a prompt of its own');
    assert.equal(hostOf(page.url()), 'hub.localhost');
    assert.match(pathOf(page.url()), /^\/demo/, 'the demo app\'s own page');
    // No hub sign-in page after the spoke: no second prompt.
    const atHub = b.visited.slice(leftSpoke - 1).filter((u) => hostOf(u) === 'hub.localhost');
    assert.ok(!atHub.some((u) => pathOf(u).startsWith('/login')), `no hub sign-in page after the spoke: ${JSON.stringify(atHub)}`);

    const shown = await readAppPage(page);
    await b.shot('hub-demo-app');
    assert.equal(shown.user, demo.user);
    for (const m of ['pwd', 'otp', 'mfa']) assert.ok(shown.amr.includes(m), `amr has ${m}: ${JSON.stringify(shown.amr)}`);
    assert.ok(shown.claims, `the ID token's claims are shown as JSON: ${shown.claimsText.slice(0, 300)}`);
    assert.deepEqual([...shown.claims.amr].sort(), [...shown.amr].sort(), 'the amr line is the ID token\'s');
    assert.equal(shown.claims.aud, 'federa-demo');
    assert.equal(shown.claims.iss, demo.hubUrl.replace(/\/$/, ''));
    const fromSpoke = shown.credited.filter((v) => v.source.includes(demo.idpId));
    assert.ok(fromSpoke.length >= 2, `factors credited from the spoke's IdP ${demo.idpId}: ${JSON.stringify(shown.credited)}`);
    const text = JSON.stringify(fromSpoke).toLowerCase();
    assert.match(text, /pwd|password/, `the password is credited from the spoke: ${JSON.stringify(fromSpoke)}`);
    assert.match(text, /otp|okta verify|totp/, `the TOTP is credited from the spoke: ${JSON.stringify(fromSpoke)}`);
  });
});

test('demo: hub policy phishing-resistant → the hub asks for its own passkey, in Chromium', { timeout: 120_000 }, async () => {
  await assertHubEnrollAllows('webauthn');
  await activateHubAuthenticator('webauthn');
  const { policy, rule } = await hubRule();
  const tightened = await putRuleConstraints(policy, rule, [{ possession: { phishingResistant: 'REQUIRED' } }]);
  assert.equal(tightened.actions.appSignOn.verificationMethod.constraints[0].possession.phishingResistant, 'REQUIRED', JSON.stringify(tightened));

  await withBrowser('2-phishing-resistant', SHOTS, async (b) => {
    const { page } = b;
    // A platform authenticator with resident keys and user verification, answering by itself.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });

    await signInAtSpoke(b);
    assert.equal(await settleAtHub(page), 'choose', 'the hub asks for more than the spoke gave');
    assert.equal(hostOf(page.url()), 'hub.localhost');
    await b.shot('hub-choose');
    // Only a phishing-resistant factor of the hub's own can meet the rule now.
    const options = (await page.locator('ul.choices button').allInnerTexts()).map((s) => s.trim());
    assert.deepEqual(options, ['Security Key or Biometric (set up)'], 'the hub offers setting up a passkey, and nothing else');
    await page.getByRole('button', { name: 'Security Key or Biometric (set up)', exact: true }).click();
    const register = page.getByRole('button', { name: 'Set up a passkey', exact: true });
    await register.waitFor();
    assert.equal(hostOf(page.url()), 'hub.localhost', 'the passkey is the hub\'s own');
    await b.shot('hub-passkey');
    await register.click();

    await page.getByRole('heading', { name: 'Federa demo app' }).or(page.getByRole('alert').filter({ hasText: /./ })).first().waitFor();
    const shown = await readAppPage(page);
    await b.shot('hub-demo-app');
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1, 'one passkey made on the virtual authenticator');
    assert.equal(credentials[0].rpId, 'hub.localhost', 'registered for the hub');
    const passkey = shown.credited.filter((v) => v.authenticator === 'webauthn');
    assert.equal(passkey.length, 1, `WebAuthn among the verifications: ${JSON.stringify(shown.credited)}`);
    assert.equal(passkey[0].source, 'this organization', `the passkey is verified by the hub itself: ${JSON.stringify(passkey)}`);
    // The spoke's factors are still credited (trust on), so the user was asked for one thing only.
    assert.ok(shown.credited.some((v) => v.authenticator === 'okta_password' && v.source.includes(demo.idpId)), JSON.stringify(shown.credited));
    for (const m of ['pwd', 'otp', 'mfa', 'phr']) assert.ok(shown.amr.includes(m), `amr has ${m}: ${JSON.stringify(shown.amr)}`);
    assert.deepEqual([...shown.claims.amr].sort(), [...shown.amr].sort(), 'the amr line is the ID token\'s');
  });
});

test('demo: trust switched off → the hub asks for its own MFA, in Chromium', { timeout: 150_000 }, async () => {
  // The rule back as the demo made it (whatever test 2 did), then trust off on the IdP.
  const { policy, rule } = await hubRule();
  await putRuleConstraints(policy, rule, []);
  const idp = await demo.hub.api('GET', `/api/v1/idps/${demo.idpId}`);
  assert.equal(idp.policy.trustClaims, true, 'the demo trusts the spoke');
  const body = structuredClone(idp);
  for (const k of ['id', 'status', 'created', 'lastUpdated', '_links']) delete body[k];
  body.policy.trustClaims = false;
  const put = await demo.hub.api('PUT', `/api/v1/idps/${demo.idpId}`, body);
  assert.equal(put.policy.trustClaims, false, JSON.stringify(put.policy));
  assert.equal(put.status, 'ACTIVE');
  // The hub's own authenticator app, for the JIT-provisioned user who has no factor there.
  await assertHubEnrollAllows('google_otp');
  await activateHubAuthenticator('google_otp');

  await withBrowser('3-trust-off', SHOTS, async (b) => {
    const { page } = b;
    await signInAtSpoke(b);
    const where = await settleAtHub(page);
    await b.shot('hub-own-mfa');
    assert.equal(where, 'choose', 'the hub shows its own factor choice, not the demo app');
    assert.equal(hostOf(page.url()), 'hub.localhost');
    assert.equal(await page.getByRole('heading', { name: 'Federa demo app' }).count(), 0);
    const options = (await page.locator('ul.choices button').allInnerTexts()).map((s) => s.trim());
    assert.ok(options.length >= 1, 'the hub offers factors');
    // The hub's own authenticators: to set up, or the passkey set up at the hub in the test before.
    assert.ok(options.includes('Google Authenticator (set up)'), `the hub offers its authenticator app: ${JSON.stringify(options)}`);
    assert.ok(!options.some((o) => /spoke/i.test(o)), `nothing of the spoke's: ${JSON.stringify(options)}`);

    // Set up Google Authenticator at the hub; the sign-in then completes with the hub's factor.
    await page.getByRole('button', { name: 'Google Authenticator (set up)', exact: true }).click();
    await page.getByRole('heading', { name: /^Set up Google Authenticator/ }).waitFor();
    const key = (await page.locator('#totp-secret').innerText()).trim();
    assert.match(key, /^[A-Z2-7]+=*$/, 'a base32 key');
    assert.notEqual(key, demo.totpSecret, 'a key of the hub\'s own');
    await page.getByLabel('Verification code', { exact: true }).fill(totpAt(key, currentStep()));
    await b.shot('hub-enroll');
    await page.getByRole('button', { name: 'Verify', exact: true }).click();

    await page.getByRole('heading', { name: 'Federa demo app' }).or(page.getByRole('alert').filter({ hasText: /./ })).first().waitFor();
    const shown = await readAppPage(page);
    await b.shot('hub-demo-app');
    // Nothing was credited from the spoke beyond the federated sign-in itself; the second factor is
    // the hub's own Google Authenticator.
    const local = shown.credited.filter((v) => v.source === 'this organization');
    assert.ok(local.some((v) => v.authenticator === 'google_otp'), `the hub's own TOTP among the verifications: ${JSON.stringify(shown.credited)}`);
    const fromSpoke = shown.credited.filter((v) => v.source.includes(demo.idpId));
    assert.ok(!fromSpoke.some((v) => /otp|okta verify/i.test(`${v.authenticator} ${v.method}`)), `the spoke's TOTP is not credited with trust off: ${JSON.stringify(fromSpoke)}`);
    assert.ok(!shown.amr.includes('pwd'), `the spoke's password is not credited with trust off: ${JSON.stringify(shown.amr)}`);
    assert.ok(shown.amr.includes('otp'), `the hub's own TOTP: ${JSON.stringify(shown.amr)}`);
  });
});
