// Starts and stops a real `federa demo` for the browser tests, and talks to the admin APIs of
// its two orgs (spoke.localhost, hub.localhost).
//
// `federa demo --port P --data-dir D` takes a fixed port, so a free one is asked of the OS first
// (bound on 127.0.0.1 and released at once; if another process takes it in between, the server
// fails to bind and the start is retried on a new port). The data directory is a fresh temporary
// one, removed at the end. What the demo prints on stdout (the user's password and TOTP secret,
// one admin API token per org, the hub's IdP id) is parsed; the log file gets everything the
// server prints with the secrets redacted. As in federa.mjs, no FEDERA_* variable of ours
// reaches the server (it reads FEDERA_* as its configuration and rejects unknown keys).

import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import { createWriteStream, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import http from 'node:http';
import net from 'node:net';
import { federaBin } from './federa.mjs';

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.unref();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

// The lines of `federa demo`'s stdout we read (crates/federa-server/src/cli.rs `demo`).
const PATTERNS = {
  password: /^\s*password:\s+(\S+)\s*$/,
  totpSecret: /^\s*TOTP secret:\s+([A-Z2-7]+=*)\b/,
  spokeToken: /^\s*Spoke \(IdP org\)\s+(\S+)\s+SSWS (\S+)\s*$/,
  hubToken: /^\s*Hub \(SP org\)\s+(\S+)\s+SSWS (\S+)\s*$/,
  idpId: /^\s*The hub's IdP object for the spoke:\s+(\S+)\s*$/,
  user: /^User at the spoke:\s+(\S+)\s*$/,
  demoUrl: /^Open the demo app:\s+(\S+)\s*$/,
};
const DONE_LINE = /^Stop with Ctrl-C/;

function redact(line) {
  return line
    .replace(/SSWS [^\s']+/g, 'SSWS <redacted>')
    .replace(PATTERNS.password, (m, p) => m.replace(p, '<redacted>'))
    .replace(PATTERNS.totpSecret, (m, s) => m.replace(s, '<redacted>'));
}

/**
 * Starts `federa demo --port <free port> --data-dir <fresh dir>` and resolves once it has printed
 * everything (the last line is "Stop with Ctrl-C…") and answers /readyz.
 */
export async function startDemo({ bin = federaBin(), logPath, startTimeoutMs = 60_000, attempts = 3 } = {}) {
  if (!existsSync(bin)) {
    throw new Error(`federa binary not found at ${bin} (build it with \`cargo build -p federa-server\` or set FEDERA_BIN)`);
  }
  let log = null;
  if (logPath) {
    await mkdir(dirname(logPath), { recursive: true });
    log = createWriteStream(logPath);
  }
  let lastError;
  for (let i = 0; i < attempts; i++) {
    const port = await freePort();
    try {
      return await startOnce(bin, port, log, startTimeoutMs);
    } catch (e) {
      lastError = e;
      // A port taken between freePort() and the bind is worth another try; anything else is not.
      if (!/address already in use|AddrInUse|os error 98/i.test(e.message)) break;
    }
  }
  await new Promise((res) => (log ? log.end(res) : res()));
  throw lastError;
}

async function startOnce(bin, port, log, startTimeoutMs) {
  const dataDir = await mkdtemp(join(tmpdir(), 'federa-demo-browser-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FEDERA_')));
  env.NO_COLOR = '1';
  const child = spawn(bin, ['demo', '--port', String(port), '--data-dir', dataDir], {
    cwd: dataDir, // no federa.toml is picked up from wherever the tests were started
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = () => { try { child.kill('SIGKILL'); } catch { /* already gone */ } };
  const onSignal = (sig) => {
    killOnExit();
    try { rmSync(dataDir, { recursive: true, force: true }); } catch { /* best effort */ }
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.on('exit', killOnExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const tail = [];
  const printed = {};
  let exited = null;
  const exitPromise = new Promise((res) => child.once('exit', (code, signal) => { exited = { code, signal }; res(exited); }));

  const ready = new Promise((res, rej) => {
    const lines = (stream, name, onLine) => {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          const safe = redact(line);
          tail.push(`[${name}] ${safe}`);
          if (tail.length > 60) tail.shift();
          log?.write(`[${name}] ${safe}\n`);
          onLine(line);
        }
      });
    };
    lines(child.stdout, 'stdout', (line) => {
      for (const [key, re] of Object.entries(PATTERNS)) {
        const m = re.exec(line);
        if (!m) continue;
        if (key === 'spokeToken') { printed.spokeUrl = m[1]; printed.spokeToken = m[2]; }
        else if (key === 'hubToken') { printed.hubUrl = m[1]; printed.hubToken = m[2]; }
        else printed[key] = m[1];
      }
      if (DONE_LINE.test(line)) res();
    });
    lines(child.stderr, 'stderr', () => {});
    exitPromise.then((e) => rej(new Error(`federa demo exited before it was ready (${JSON.stringify(e)}):\n${tail.join('\n')}`)));
    child.once('error', rej);
  });

  const stop = async () => {
    process.off('exit', killOnExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => { if (!exited) child.kill('SIGKILL'); }, 10_000);
      await exitPromise;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true });
    return exited;
  };

  let timer;
  try {
    await Promise.race([
      ready,
      new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`federa demo did not print its instructions within ${startTimeoutMs} ms:\n${tail.join('\n')}`)), startTimeoutMs); }),
    ]);
    const missing = ['password', 'totpSecret', 'spokeToken', 'hubToken', 'idpId', 'user', 'demoUrl'].filter((k) => !printed[k]);
    if (missing.length) throw new Error(`federa demo's output lacks ${missing.join(', ')}:\n${tail.join('\n')}`);
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      const r = await rawRequest(port, 'hub.localhost', 'GET', '/readyz').catch((e) => ({ status: 0, text: String(e) }));
      if (r.status === 200) break;
      if (exited || Date.now() > deadline) throw new Error(`federa demo /readyz never answered 200 (last: ${r.status} ${r.text}):\n${tail.join('\n')}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  } catch (e) {
    await stop();
    throw e;
  } finally {
    clearTimeout(timer);
  }

  const org = (host, token) => ({
    host,
    origin: `http://${host}:${port}`,
    api: async (method, path, body) => {
      const r = await rawRequest(port, host, method, path, { headers: { authorization: `SSWS ${token}` }, body });
      if (r.status < 200 || r.status > 299) throw new Error(`${host}: ${method} ${path} -> ${r.status}: ${r.text}`);
      return r.json;
    },
  });

  return {
    child, dataDir, port, tail,
    user: printed.user,
    password: printed.password,
    totpSecret: printed.totpSecret,
    idpId: printed.idpId,
    demoUrl: printed.demoUrl,
    spokeUrl: printed.spokeUrl,
    hubUrl: printed.hubUrl,
    spoke: org('spoke.localhost', printed.spokeToken),
    hub: org('hub.localhost', printed.hubToken),
    async stop() {
      const e = await stop();
      await new Promise((res) => (log ? log.end(res) : res()));
      return e;
    },
  };
}

/** One HTTP request to 127.0.0.1:port with `Host: <host>:port` (which org answers). */
function rawRequest(port, host, method, path, { headers = {}, body } = {}) {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((res, rej) => {
    const req = http.request({
      host: '127.0.0.1', port, method, path,
      headers: {
        host: `${host}:${port}`,
        accept: 'application/json',
        ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
        ...headers,
      },
    }, (r) => {
      let text = '';
      r.setEncoding('utf8');
      r.on('data', (c) => { text += c; });
      r.on('end', () => {
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        res({ status: r.statusCode, text, json });
      });
    });
    req.setTimeout(15_000, () => req.destroy(new Error(`${method} ${path}: no answer in 15 s`)));
    req.on('error', rej);
    if (payload) req.write(payload);
    req.end();
  });
}

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of text.replace(/=+$/, '').toUpperCase()) {
    const v = alphabet.indexOf(ch);
    if (v < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** RFC 6238 TOTP (HMAC-SHA1, 6 digits) of `secret` (base32) at time step `step` (30 s). */
export function totpAt(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const bin = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  return String(bin % 1_000_000).padStart(6, '0');
}

/** The current 30-s time step. */
export const currentStep = () => Math.floor(Date.now() / 30_000);

/**
 * TOTP codes for one secret, never the same time step twice: the server accepts ±1 step and
 * refuses a step at or before the last one it accepted. `next()` gives the code of the current
 * step, or of the next one when the current one is used; only when both are used does it wait
 * (polling the clock) for the step boundary.
 */
export class TotpSource {
  constructor(secret, { lastUsedStep = -1 } = {}) {
    this.secret = secret;
    this.lastUsedStep = lastUsedStep;
  }

  async next() {
    for (;;) {
      const now = currentStep();
      const step = Math.max(now, this.lastUsedStep + 1);
      if (step <= now + 1) {
        this.lastUsedStep = step;
        return totpAt(this.secret, step);
      }
      const wait = (now + 1) * 30_000 - Date.now() + 50;
      await new Promise((res) => setTimeout(res, Math.max(wait, 50)));
    }
  }
}
