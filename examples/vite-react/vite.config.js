// `npm run dev`: Vite on :5173, /anywire proxied (WebSocket included) to `npm start` on :3000.
// `npm run build && npm start`: the built app and anywire on one port.
import { defineConfig } from 'vite';

export default defineConfig({
  // One React, also when anywire is linked from a folder that has its own (file:../..).
  resolve: { dedupe: ['react', 'react-dom'] },
  oxc: { jsx: { runtime: 'automatic' } },
  server: {
    proxy: { '/anywire': { target: 'http://127.0.0.1:3000', ws: true } },
  },
});
