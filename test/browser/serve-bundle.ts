// Running an engine entry in headless Chromium: an esbuild IIFE bundle, served from 127.0.0.1 (a secure context), Debian's chromium on SwiftShader; used by the browser parity test and bench/gpu-ops-browser.ts.
//
// NOTE: a localhost page, not about:blank: WebGPU exists only in a secure context (https or localhost),
// and about:blank has no `navigator.gpu`. Callers skip where /usr/bin/chromium is absent (.ci/run installs it).

import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build, type Plugin } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export const hasChromium = (): boolean => existsSync(CHROMIUM);

/** SwiftShader for WebGL (ANGLE) and WebGPU; nothing that phones home. */
export const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu-sandbox', '--ignore-gpu-blocklist', '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader', '--enable-features=Vulkan', '--use-angle=swiftshader', '--use-webgpu-adapter=swiftshader',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
];

/**
 * The hardware GPU instead of SwiftShader (ANGLE on Vulkan, the default WebGPU adapter), for measuring on a
 * machine with a GPU: `NETMOE_CHROMIUM_GPU=1 npm run bench:gpu`. Not used by the tests (they assert SwiftShader).
 */
export const CHROMIUM_HARDWARE_ARGS = CHROMIUM_ARGS.filter((a) => !/swiftshader/i.test(a)).concat('--use-angle=vulkan');

/**
 * NOTE: the engine's Node-only modules (files, worker threads) are reachable from src/index.ts but never
 * called by the kernels: `node:*` imports become empty modules, and the wasm fast path is switched off
 * (NETMOE_KERNELS=reference) so the page needs no `process`.
 */
const stubNodeBuiltins: Plugin = {
  name: 'stub-node-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'node-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'node-stub' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

/** `entry` and everything it imports as one browser script (an IIFE). */
export async function bundleEntry(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    define: { 'process.env.NETMOE_KERNELS': '"reference"' },
    plugins: [stubNodeBuiltins],
  });
  return result.outputFiles[0].text;
}

/** Serve a page that loads `script`, from 127.0.0.1 on a free port; nothing else. */
export async function serveScript(script: string): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    if (request.url === '/entry.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' });
      response.end(script);
    } else if (request.url === '/') {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<!doctype html><html><head><script src="/entry.js"></script></head><body></body></html>');
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

export interface EntryPage {
  browser: Browser;
  page: Page;
  /** Close the browser and stop the server. */
  close(): Promise<void>;
}

/**
 * Bundle `entry`, serve it and open it in headless Chromium on SwiftShader. Throws when the page is not a
 * secure context (no WebGPU there).
 *
 * @example
 * const { page, close } = await openEntryPage(new URL('./my-entry.ts', import.meta.url).pathname);
 * const report = await page.evaluate(() => (globalThis as any).runSomething());
 * await close();
 */
export async function openEntryPage(entry: string, args: readonly string[] = CHROMIUM_ARGS): Promise<EntryPage> {
  const [script, browser] = await Promise.all([bundleEntry(entry), chromium.launch({ executablePath: CHROMIUM, args: [...args] })]);
  let server: Server | undefined;
  const close = async (): Promise<void> => {
    await browser.close();
    server?.close();
  };
  try {
    const served = await serveScript(script);
    server = served.server;
    const page = await browser.newPage();
    await page.goto(served.url);
    const secure = await page.evaluate(() => (globalThis as { isSecureContext?: boolean }).isSecureContext);
    if (secure !== true) throw new Error(`${served.url} is not a secure context in Chromium (WebGPU needs one)`);
    return { browser, page, close };
  } catch (error) {
    await close();
    throw error;
  }
}
