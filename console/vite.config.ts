import { defineConfig } from "vite";

// Served by imsdk-server under /console (its built files are embedded in the binary).
export default defineConfig({
  base: "/console/",
  build: { outDir: "dist", emptyOutDir: true, assetsDir: "assets" },
  server: { proxy: { "/console/api": "http://127.0.0.1:7788" } },
});
