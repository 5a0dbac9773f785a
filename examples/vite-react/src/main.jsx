import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createClient } from 'anywire';
import { AnywireProvider } from 'anywire/react';
import { App } from './App.jsx';
import './style.css';

// One client for the page, created once, outside any component.
const client = createClient({ url: `${location.origin}/anywire` });

createRoot(document.getElementById('root')).render(
  <StrictMode>
    <AnywireProvider client={client}>
      <App />
    </AnywireProvider>
  </StrictMode>,
);
