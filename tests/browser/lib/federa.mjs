// Starts and stops a real `federa serve` for the browser tests, and talks to its admin API.
//
// The server gets an empty temporary data directory (so it creates the default org for
// `localhost` and prints a fresh admin API token), binds 127.0.0.1 on a port the OS picks, and
// runs with no FEDERA_* variables from our environment: the server reads FEDERA_* as its own
// configuration and rejects unknown keys, so FEDERA_BIN itself would stop it from starting.

import { spawn } from 'node:child_process';
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import { createWriteStream, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import http from 'node:http';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The federa binary: $FEDERA_BIN (relative to the current directory) or target/debug/federa. */
export function federaBin() {
  const fromEnv = process.env.FEDERA_BIN;
  if (fromEnv) return isAbsolute(fromEnv) ? fromEnv : resolve(process.cwd(), fromEnv);
  return join(REPO_ROOT, 'target', 'debug', 'federa');
}

const TOKEN_LINE = /Admin API token \(shown only this once; keep it\): (\S+)/;
const LISTEN_LINE = /listening on http:\/\/(\S+)/;

/**
 * Starts `federa serve --listen 127.0.0.1:0 --data-dir <fresh dir>` and resolves once it has
 * printed its admin token (stdout) and address (stderr) and answers /readyz.
 * Everything the server prints goes to `logPath`.
 */
export async function startFedera({ bin = federaBin(), logPath, startTimeoutMs = 30_000 } = {}) {
  if (!existsSync(bin)) {
    throw new Error(`federa binary not found at ${bin} (build it with \`cargo build -p federa-server\` or set FEDERA_BIN)`);
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'federa-browser-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FEDERA_')));
  env.NO_COLOR = '1';
  const child = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir], {
    cwd: dataDir, // no federa.toml is picked up from wherever the tests were started
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Whatever happens to the test process, the server does not outlive it.
  const killOnExit = () => { try { child.kill('SIGKILL'); } catch { /* already gone */ } };
  const onSignal = (sig) => {
    killOnExit();
    try { rmSync(dataDir, { recursive: true, force: true }); } catch { /* best effort */ }
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.on('exit', killOnExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let log = null;
  if (logPath) {
    await mkdir(dirname(logPath), { recursive: true });
    log = createWriteStream(logPath);
  }
  const tail = [];
  const remember = (stream, line) => {
    tail.push(`[${stream}] ${line}`);
    if (tail.length > 60) tail.shift();
    // The token is a credential: never written to the log file.
    log?.write(`[${stream}] ${line.replace(TOKEN_LINE, 'Admin API token (shown only this once; keep it): <redacted>').replace(/SSWS [^\s']+/g, 'SSWS <redacted>')}\n`);
  };

  let exited = null;
  const exitPromise = new Promise((res) => child.once('exit', (code, signal) => { exited = { code, signal }; res(exited); }));

  let token = null;
  let addr = null;
  const ready = new Promise((res, rej) => {
    const check = () => { if (token && addr) res(); };
    const lines = (stream, name, onLine) => {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          remember(name, line);
          onLine(line);
        }
      });
    };
    lines(child.stdout, 'stdout', (line) => { const m = TOKEN_LINE.exec(line); if (m) { token = m[1]; check(); } });
    lines(child.stderr, 'stderr', (line) => { const m = LISTEN_LINE.exec(line); if (m) { addr = m[1]; check(); } });
    exitPromise.then((e) => rej(new Error(`federa exited before it was ready (${JSON.stringify(e)}):\n${tail.join('\n')}`)));
    child.once('error', rej);
  });

  const server = {
    child, dataDir, tail,
    get token() { return token; },
    get port() { return Number(addr.split(':').pop()); },
    /** The browser-facing origin; the default org is the one for the host name `localhost`. */
    get origin() { return `http://localhost:${this.port}`; },
    api: (method, path, body) => adminRequest(server, method, path, body),
    async stop() {
      process.off('exit', killOnExit);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (!exited) {
        child.kill('SIGTERM');
        // SIGTERM drains in-flight requests; give it a bounded moment, then SIGKILL.
        const timer = setTimeout(() => { if (!exited) child.kill('SIGKILL'); }, 10_000);
        await exitPromise;
        clearTimeout(timer);
      }
      await new Promise((res) => (log ? log.end(res) : res()));
      await rm(dataDir, { recursive: true, force: true });
      return exited;
    },
  };

  let timer;
  try {
    await Promise.race([
      ready,
      new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`federa did not print its token and address within ${startTimeoutMs} ms:\n${tail.join('\n')}`)), startTimeoutMs); }),
    ]);
    // Bounded wait until the server answers (it prints its address after binding, so this
    // normally succeeds at once).
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      const r = await rawRequest(server.port, 'GET', '/readyz').catch((e) => ({ status: 0, text: String(e) }));
      if (r.status === 200) break;
      if (exited || Date.now() > deadline) throw new Error(`federa /readyz never answered 200 (last: ${r.status} ${r.text}):\n${tail.join('\n')}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  } catch (e) {
    await server.stop();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return server;
}

/** One HTTP request to 127.0.0.1:port with `Host: localhost:port` (the default org). */
function rawRequest(port, method, path, { headers = {}, body } = {}) {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((res, rej) => {
    const req = http.request({
      host: '127.0.0.1', port, method, path,
      headers: {
        host: `localhost:${port}`,
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

/** An admin API call with the org's SSWS token; throws with the body unless the status is 2xx. */
async function adminRequest(server, method, path, body) {
  const r = await rawRequest(server.port, method, path, { headers: { authorization: `SSWS ${server.token}` }, body });
  if (r.status < 200 || r.status > 299) {
    throw new Error(`${method} ${path} -> ${r.status}: ${r.text}`);
  }
  return r.json;
}
