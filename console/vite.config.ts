import { defineConfig } from "vite";

// Served by imsdk-server under /console. The build writes into the server crate
// (server/console-dist, committed), which server/build.rs embeds in the binary: the server builds
// with its console whether or not Node is installed. scripts/check-console-dist.sh fails when the
// committed files are stale.
export default defineConfig({
  base: "/console/",
  build: { outDir: "../server/console-dist", emptyOutDir: true, assetsDir: "assets" },
  server: { proxy: { "/console/api": "http://127.0.0.1:7788" } },
});
