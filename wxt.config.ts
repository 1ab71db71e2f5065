import { readFileSync } from 'node:fs';
import { defineConfig } from 'wxt';

// The public key pins the extension id (bmdomknieihcmbmhfmajogfncjkidlbh) for
// every unpacked load, so passkeys (RP ID = extension id) keep working across
// installs and machines. The store package (`npm run zip`, mode "store") leaves
// it out: the Chrome Web Store rejects a manifest with a `key` and assigns its
// own id. See docs/extension.md.
const manifestKey = JSON.parse(
  readFileSync(new URL('./extension/manifest-key.json', import.meta.url), 'utf8'),
) as {
  key: string;
};

export default defineConfig({
  srcDir: 'extension',
  publicDir: 'extension/public',
  modules: ['@wxt-dev/module-solid'],
  // Explicit imports everywhere: code reads the same in the editor, tsc and Deno.
  imports: false,
  browser: 'chrome',
  manifestVersion: 3,
  manifest: ({ mode }) => ({
    name: 'Parley',
    description: 'End-to-end encrypted chat in your toolbar. Keys never leave your browser.',
    ...(mode === 'store' ? {} : { key: manifestKey.key }),
    // WebCrypto Ed25519 (137) and X25519 (133) carry the protocol's keys.
    minimum_chrome_version: '137',
    permissions: ['unlimitedStorage', 'alarms', 'notifications', 'sidePanel', 'storage'],
    // The default relay runs on this machine; any https relay is asked for at
    // onboarding, for its origin only (chrome.permissions.request).
    host_permissions: ['http://127.0.0.1/*', 'http://localhost/*'],
    optional_host_permissions: ['https://*/*'],
    // MV3's default policy plus 'wasm-unsafe-eval': hash-wasm (Argon2id for the
    // vault passphrase, SHA-512 for safety numbers) compiles WebAssembly, which
    // the default `script-src 'self'` forbids. Nothing else is relaxed: no
    // remote code, no eval, no inline scripts.
    content_security_policy: {
      extension_pages: "script-src 'self' 'wasm-unsafe-eval'; object-src 'self';",
    },
    icons: { 16: '/icon/16.png', 32: '/icon/32.png', 48: '/icon/48.png', 128: '/icon/128.png' },
    action: {
      default_title: 'Parley',
      default_icon: { 16: '/icon/16.png', 32: '/icon/32.png' },
    },
    commands: {
      'open-side-panel': {
        suggested_key: { default: 'Alt+Shift+P' },
        description: 'Open Parley in the side panel',
      },
    },
  }),
  zip: {
    // parley-0.1.0-chrome-store.zip: says which build it is next to a dev zip.
    artifactTemplate: '{{name}}-{{version}}-{{browser}}-{{mode}}.zip',
  },
});
