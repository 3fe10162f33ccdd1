// Vite builds the app into `dist/` (or the directory `api/build.rs` passes with --outDir).
// `npm run dev` serves it with hot reload and forwards the API to a running Centralita
// (`cargo run`, or CENTRALITA_URL).
import { defineConfig } from "vitest/config";
import preact from "@preact/preset-vite";

const api = process.env.CENTRALITA_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [preact()],
  build: {
    // The page's Content-Security-Policy forbids inline scripts: keep everything in files.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: {
    proxy: { "/v1": { target: api, changeOrigin: false } },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
