// Builds ui/ into ui/dist wherever vite runs from; Tauri embeds ui/dist (no dev server).
import { fileURLToPath } from "node:url";
import { Features } from "lightningcss";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
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
    // copyright file (packaging/linux/copyright.py).
    license: { fileName: ".vite/license.json" },
  },
});
