// What a browser bundler gets for `anywire/server`: a clear failure instead of a broken bundle.
throw new Error('anywire/server is the Node.js server and cannot run in a browser. Import `anywire` for the client.');
export {};
