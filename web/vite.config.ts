import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The app reads its stack's endpoints at run time from config.json beside index.html
// (`make web-config`), so one build serves the local cloud and any deployed stack.
export default defineConfig({
  plugins: [react()],
  base: './',
  build: { outDir: 'dist', emptyOutDir: true },
});
