// Builds ui/ into ui/dist wherever vite runs from; Tauri embeds ui/dist (no dev server).
import { renameSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Features } from "lightningcss";
import { defineConfig } from "vite";

const ui = fileURLToPath(new URL(".", import.meta.url));
let outDir = `${ui}dist`;

export default defineConfig({
  root: ui,
  base: "./",
  publicDir: false,
  clearScreen: false,
  css: {
    // Vite's CSS minifier would spell `system-ui` out as seven other systems' font names, and
    // WebKitGTK looks each one up before it reaches one it has (style.css, :root).
    lightningcss: { exclude: Features.FontFamilySystemUi },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // The webviews Tauri 2 runs on: WebView2 (Chromium), WKWebView and WebKitGTK.
    target: ["es2021", "chrome105", "safari15"],
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    // The npm packages bundled into the page, with their licences, for the Linux packages'
    // copyright file (packaging/linux/copyright.py); moved out of dist below.
    license: { fileName: ".vite/license.json" },
  },
  plugins: [
    {
      // Beside dist, not in it: the window embeds all of dist, and the list is for the packages.
      // (ui/dist.licenses.json; a build elsewhere, as tests/ui makes, drops the list.)
      name: "licences-beside-dist",
      apply: "build",
      configResolved(config) {
        outDir = resolve(config.root, config.build.outDir);
      },
      closeBundle() {
        if (outDir === resolve(ui, "dist")) renameSync(`${outDir}/.vite/license.json`, `${outDir}.licenses.json`);
        rmSync(`${outDir}/.vite`, { recursive: true, force: true });
      },
    },
  ],
});
