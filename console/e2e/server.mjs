// Starts the real imsdk-server binary on a free port with a fresh config and data directory, and talks
// to it as a client would (WebSocket protocol, docs/PROTOCOL.md).
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { once } from "node:events";

export const APP = { sdk_app_id: 1400000077, secret: "console-test-secret", admin: "administrator" };
const BIN = process.env.CONSOLE_TEST_SERVER_BIN ?? resolve(import.meta.dirname, "../../target/debug/imsdk-server");

export async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), "imsdk-console-"));
  const config = join(dir, "server.toml");
  writeFileSync(
    config,
    `[[app]]
sdk_app_id = ${APP.sdk_app_id}
secret_key = "${APP.secret}"
admin = "${APP.admin}"
plan = "ultimate"
user_status_enabled = true
friend_status_notify = true
accounts = ["alice", "bob"]
`,
  );
  const data = join(dir, "data");
  const proc = spawn(BIN, ["--config", config, "--data-dir", data, "--listen", "127.0.0.1:0"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  const addr = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`no listening line in 20 s: ${out}`)), 20000);
    proc.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (\S+)/);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    proc.on("exit", (code) => fail(new Error(`server exited ${code}: ${out}`)));
  });
  return {
    url: `http://${addr}`,
    dir,
    async stop() {
      proc.kill("SIGTERM");
      await once(proc, "exit");
    },
  };
}

export function userSig(userId) {
  return execFileSync(BIN, ["usersig", "--sdk-app-id", String(APP.sdk_app_id), "--secret-key", APP.secret, "--user-id", userId])
    .toString()
    .trim();
}

/// A logged-in protocol client; `call(op, fields)` resolves with the reply.
export async function client(baseUrl, userId) {
  const ws = new WebSocket(baseUrl.replace("http", "ws") + "/ws");
  await new Promise((ok, fail) => {
    ws.onopen = ok;
    ws.onerror = () => fail(new Error("websocket error"));
  });
  let next = 1;
  const waiting = new Map();
  ws.onmessage = (e) => {
    const frame = JSON.parse(e.data);
    if (frame.op === "reply" && waiting.has(frame.id)) {
      waiting.get(frame.id)(frame);
      waiting.delete(frame.id);
    }
  };
  const call = (op, fields = {}) =>
    new Promise((ok, fail) => {
      const id = next++;
      const timer = setTimeout(() => fail(new Error(`${op}: no reply in 5 s`)), 5000);
      waiting.set(id, (f) => (clearTimeout(timer), ok(f)));
      ws.send(JSON.stringify({ op, id, ...fields }));
    });
  const login = await call("login", {
    version: 1,
    sdk_app_id: APP.sdk_app_id,
    user_id: userId,
    user_sig: userSig(userId),
    platform: "Linux",
    instance_id: `console-test-${userId}`,
  });
  if (login.code !== 0) throw new Error(`login ${userId}: ${login.code} ${login.desc}`);
  return { call, close: () => ws.close() };
}
