import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The Go server serves the build from frontend/dist; in development `npm run dev`
// proxies API calls to a server started with `make run` (PRETIX_HUBSPOT_DEV_API).
const backend = process.env.PRETIX_HUBSPOT_DEV_API || 'http://127.0.0.1:8080';

export default defineConfig({
  root: 'frontend',
  base: '/',
  plugins: [svelte()],
  build: { outDir: 'dist', emptyOutDir: true, assetsDir: 'assets', sourcemap: false },
  server: { proxy: { '^/(api|oauth|webhooks|healthz)': backend } },
  test: { root: '.', include: ['frontend/src/**/*.test.js'] },
});
